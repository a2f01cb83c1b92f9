// Resumable uploads (multi-GB files from a browser) through the real embedded API.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../support/api-server.ts';

const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const report = readFileSync(`${scans}qualys_scan_report/scan_report_4_hosts.csv`);

let api: ApiServer;
const call = (path: string, init?: RequestInit) => api.call(path, init);

const open = (filename: string, size: number) =>
  call('/api/uploads', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filename, size }),
  });

const send = (id: string, offset: number, chunk: Uint8Array) =>
  call(`/api/uploads/${id}`, {
    method: 'PATCH',
    headers: { 'upload-offset': String(offset), 'content-type': 'application/octet-stream' },
    body: chunk,
  });

async function waitForImport(id: string) {
  for (let i = 0; i < 300; i++) {
    const { body } = await call(`/api/imports/${id}`);
    if (body?.status === 'done' || body?.status === 'failed') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import ${id} did not finish`);
}

beforeAll(async () => {
  api = await startApiServer({ Q2H_MAX_UPLOAD_MB: '1' });
});
afterAll(async () => {
  await api?.close();
});

describe('resumable uploads', () => {
  it('given chunks with one lost on the way, when the client resumes from the server offset, then the import counts 11 findings; the same content again is a duplicate', async () => {
    const opened = await open('scan_report_4_hosts.csv', report.length);
    expect(opened.status).toBe(201);
    const { id } = opened.body;
    const third = Math.ceil(report.length / 3);

    expect((await send(id, 0, report.subarray(0, third))).body.offset).toBe(third);
    // The second chunk is lost; the third arrives at the wrong offset and is refused with where to resume.
    const refused = await send(id, 2 * third, report.subarray(2 * third));
    expect(refused.status).toBe(409);
    expect(refused.body.offset).toBe(third);
    expect((await call(`/api/uploads/${id}`)).body).toMatchObject({ offset: third, size: report.length });
    expect((await call(`/api/uploads/${id}/complete`, { method: 'POST' })).status).toBe(409);

    await send(id, third, report.subarray(third, 2 * third));
    await send(id, 2 * third, report.subarray(2 * third));
    const completed = await call(`/api/uploads/${id}/complete`, { method: 'POST' });
    expect(completed.status).toBe(202);
    expect(await waitForImport(completed.body.id)).toMatchObject({ status: 'done', findings: 11, hosts: 4 });
    expect((await call(`/api/uploads/${id}`)).status).toBe(404);

    const again = await open('copy.csv', report.length);
    await send(again.body.id, 0, report);
    const duplicate = await call(`/api/uploads/${again.body.id}/complete`, { method: 'POST' });
    expect(duplicate).toMatchObject({ status: 200, body: { id: completed.body.id, duplicate: true } });
  });

  it('refuses a file over the upload limit, a chunk past the announced size, a file that is no report, and an unknown upload', async () => {
    expect((await open('huge.csv', 2 * 2 ** 20)).status).toBe(413);
    const small = await open('small.csv', 10);
    expect((await send(small.body.id, 0, new Uint8Array(11))).status).toBe(400);
    await send(small.body.id, 0, new TextEncoder().encode('name,email'));
    const notReport = await call(`/api/uploads/${small.body.id}/complete`, { method: 'POST' });
    expect(notReport.status).toBe(422);
    expect(notReport.body.detail).toMatch(/small\.csv/);
    expect((await call('/api/uploads/0123456789abcdef01234567')).status).toBe(404);
  });
});
