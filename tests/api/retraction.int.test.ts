// Deleting and cancelling imports (ImportRetracted) through the real embedded API.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generateScanReport } from '@q2h/bench/generate-scan-report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../support/api-server.ts';

const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const older = readFileSync(`${scans}qualys_scan_report/scan_report_4_hosts.csv`, 'utf8');
/** The same hosts scanned a year later, where one critical finding (severity 5) is now a 3. */
const newer = older.replace(/(\d\d\/\d\d\/)2026 /g, '$12027 ').replace('"Vuln","5"', '"Vuln","3"');
const scratch = mkdtempSync(join(tmpdir(), 'q2h-retract-'));

let api: ApiServer;
const call = (path: string, init?: RequestInit) => api.call(path, init);

function upload(content: string | Uint8Array, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  return call('/api/imports', { method: 'POST', body: form });
}

async function until(id: string, done: (status: string) => boolean) {
  for (let i = 0; i < 600; i++) {
    const { body } = await call(`/api/imports/${id}`);
    if (done(body.status)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import ${id} never reached the expected status`);
}

const overview = async () => (await call('/api/overview')).body;

beforeAll(async () => {
  api = await startApiServer();
});
afterAll(async () => {
  await api?.close();
});

describe('retracting imports', () => {
  it('given a newer scan deleted, then the older observation of each finding is latest again; deleting that one empties the dashboards; the file can then be imported again', async () => {
    const first = await upload(older, 'older.csv');
    await until(first.body.id, (s) => s === 'done');
    expect(await overview()).toMatchObject({ findings: 11, hosts: 4, critical: 5 });

    const second = await upload(newer, 'newer.csv');
    await until(second.body.id, (s) => s === 'done');
    expect(await overview()).toMatchObject({ findings: 11, hosts: 4, critical: 4 });

    expect((await call(`/api/imports/${second.body.id}`, { method: 'DELETE' })).status).toBe(202);
    const retracted = await until(second.body.id, (s) => s === 'retracted');
    expect(retracted.error.reason).toBe('deleted by admin');
    expect(await overview()).toMatchObject({ findings: 11, hosts: 4, critical: 5 });
    // Asking again changes nothing.
    expect((await call(`/api/imports/${second.body.id}`, { method: 'DELETE' })).status).toBe(200);

    await call(`/api/imports/${first.body.id}`, { method: 'DELETE' });
    await until(first.body.id, (s) => s === 'retracted');
    expect(await overview()).toMatchObject({ findings: 0, hosts: 0, critical: 0 });

    // A deleted import is no duplicate: the same content is a new import.
    const again = await upload(older, 'older.csv');
    expect(again.status).toBe(202);
    expect(again.body.id).not.toBe(first.body.id);
    await until(again.body.id, (s) => s === 'done');
    expect(await overview()).toMatchObject({ findings: 11, critical: 5 });
  });

  it('given an import cancelled while it runs, then nothing of it counts, now or after it stopped', async () => {
    const before = await overview();
    const path = join(scratch, 'large.csv');
    await generateScanReport({ targetBytes: 200 * 2 ** 20, seed: 5, out: path });
    // Gzipped: an archive is parsed once it has all arrived, so the import still runs after the 202
    // (a plain upload is parsed while it arrives, and can be nearly done by then).
    const accepted = await upload(gzipSync(readFileSync(path), { level: 1 }), 'large.csv.gz');
    expect(accepted.status).toBe(202);
    await until(accepted.body.id, (s) => s === 'processing');
    expect((await call(`/api/imports/${accepted.body.id}`, { method: 'DELETE' })).body).toMatchObject({
      reason: 'cancelled',
    });
    await until(accepted.body.id, (s) => s === 'retracted');
    await api.q2h.importsIdle();
    await new Promise((r) => setTimeout(r, 1000)); // anything it still published has been projected
    expect((await call(`/api/imports/${accepted.body.id}`)).body.status).toBe('retracted');
    expect(await overview()).toMatchObject({ findings: before.findings, hosts: before.hosts });
  });

  it('answers 404 for an import that does not exist', async () => {
    const response = await call('/api/imports/000000000000000000000000', { method: 'DELETE' });
    expect(response.status).toBe(404);
  });
});
