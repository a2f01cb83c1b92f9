import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningQ2h, startEmbedded } from '@q2h/auth-gateway';
import { generateScanReport } from '@q2h/bench/generate-scan-report';
import { createLogger, loadConfig } from '@q2h/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const fourHosts = readFileSync(`${scans}qualys_scan_report/scan_report_4_hosts.csv`);
const ADMIN_PASSWORD = 'admin-password-for-tests';

let q2h: RunningQ2h;
let adminToken: string;

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${q2h.url}${path}`, { ...init, headers });
  const text = await response.text();
  const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, type: response.headers.get('content-type') ?? '', body };
}

async function login(username: string, password: string) {
  return call('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

function upload(content: Uint8Array | string, filename: string, token = adminToken) {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  return call('/api/imports', { method: 'POST', body: form, token });
}

async function waitForImport(id: string) {
  for (let i = 0; i < 600; i++) {
    const { body } = await call(`/api/imports/${id}`, { token: adminToken });
    if (body.status === 'done' || body.status === 'failed') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import ${id} did not finish`);
}

const overview = async (query = '') => (await call(`/api/overview${query}`, { token: adminToken })).body;

function expectProblem(
  response: { status: number; type: string; body: Record<string, unknown> },
  status: number,
) {
  expect(response.status).toBe(status);
  expect(response.type).toContain('application/problem+json');
  expect(response.body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /); // never a stack trace
}

beforeAll(async () => {
  const loaded = loadConfig({
    Q2H_PORT: '0',
    Q2H_HOST: '127.0.0.1',
    Q2H_DATA_DIR: mkdtempSync(join(tmpdir(), 'q2h-api-')),
    Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
    Q2H_MAX_UPLOAD_MB: '64',
    Q2H_LOG_LEVEL: 'warn',
  });
  if (loaded.kind !== 'ok') throw new Error(loaded.problems.join());
  q2h = await startEmbedded(loaded.config, createLogger(process.env.Q2H_TEST_LOG ?? 'silent'));
  adminToken = (await login('admin', ADMIN_PASSWORD)).body.token;
});
afterAll(async () => {
  await q2h?.close();
});

describe('embedded API', () => {
  it('given a Scan Report upload, then the import completes and the overview shows 11 findings, 4 hosts, 5 critical', async () => {
    const accepted = await upload(fourHosts, 'scan_report_4_hosts.csv');
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{24}$/), status: 'accepted' });
    const done = await waitForImport(accepted.body.id);
    expect(done).toMatchObject({
      status: 'done',
      dialect: 'qualys-scan-report-csv',
      findings: 11,
      hosts: 4,
      rowsDone: 11,
      bytesDone: fourHosts.length,
      bytesTotal: fourHosts.length,
      declared: { totalVulns: 11, activeHosts: 4 },
      coherenceLevel: 'ok',
    });
    expect(await overview()).toMatchObject({
      findings: 11,
      hosts: 4,
      critical: 5,
      bySeverity: { '1': 1, '2': 2, '3': 3, '4': 2, '5': 3 },
    });
    const critical = await overview('?severities=4,5');
    expect(critical).toMatchObject({ findings: 5, critical: 5 });
    expect(critical.topVulns[0]).toEqual({
      qid: '91850',
      title: 'Microsoft Windows Security Update for November 2026',
      severity: 5,
      hosts: 2,
    });
    expect(critical.topHosts.map((h: { ip: string }) => h.ip).sort()).toEqual([
      '10.20.0.11',
      '10.20.0.12',
      '10.20.0.13',
    ]);
  });

  it('given the same content uploaded again, then it is the same import and nothing counts twice', async () => {
    const again = await upload(fourHosts, 'renamed-copy.csv');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'done', duplicate: true });
    expect((await overview()).findings).toBe(11);
  });

  it('given findings of hosts known only by name, then each such host counts once, named', async () => {
    // Nuclei: most results name 172.18.0.3, two only the container name (no IP): two assets, as the
    // finding key has it; before, every finding without an IP was one host ''.
    const nuclei = readFileSync(`${scans}nuclei/issue_14071.json`);
    const before = (await overview()).findings;
    const accepted = await upload(nuclei, 'issue_14071.json');
    expect(accepted.status).toBe(202);
    expect(await waitForImport(accepted.body.id)).toMatchObject({ status: 'done', findings: 26 });
    const scoped = await overview(`?report=${accepted.body.id}`);
    const hosts = scoped.topHosts as { host: string; findings: number }[];
    expect(hosts.map((h) => h.host)).toContain('172.18.0.3');
    for (const { host } of hosts) expect(host).toMatch(/\S/);
    expect(scoped.hosts).toBe(hosts.length);
    expect(hosts.reduce((sum, h) => sum + h.findings, 0)).toBe(scoped.findings);
    await call(`/api/imports/${accepted.body.id}`, { method: 'DELETE', token: adminToken });
    await expect.poll(async () => (await overview()).findings, { timeout: 10_000 }).toBe(before);
  });

  it('given a report sent as the request body (curl -T), then it is imported under the name given', async () => {
    const raw = (body: Uint8Array, query: string, headers: Record<string, string> = {}) =>
      call(`/api/imports${query}`, { method: 'POST', token: adminToken, headers, body });
    // The same bytes as the multipart upload above: the same content hash, so the same import.
    const again = await raw(fourHosts, '?filename=again.csv', { 'content-type': 'application/octet-stream' });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    // Untyped, as curl -T sends it; the name's directories are dropped.
    const latin1 = readFileSync(`${scans}qualys_scan_report/scan_report_4_hosts_latin1.csv`);
    const accepted = await raw(latin1, '?filename=exports%2Fweekly%2Flatin1.csv');
    expect(accepted.status).toBe(202);
    expect(await waitForImport(accepted.body.id)).toMatchObject({
      status: 'done',
      filename: 'latin1.csv',
      findings: 11,
      bytesDone: latin1.length,
    });
    // The same upload limit as multipart: the body is cut off at 64 MB and nothing is kept.
    const huge = Buffer.concat([fourHosts, Buffer.alloc(65 * 2 ** 20, 'a')]);
    expectProblem(await raw(huge, '?filename=huge.csv', { 'content-type': 'application/octet-stream' }), 413);
    expect((await overview()).findings).toBe(11);
  });

  it('given the incoherent report, then its coherence checks say what differs, at warning level', async () => {
    const accepted = await upload(
      readFileSync(`${scans}qualys_scan_report/scan_report_incoherent.csv`),
      'incoherent.csv',
    );
    const done = await waitForImport(accepted.body.id);
    expect(done.status).toBe('done');
    expect(done.coherenceLevel).toBe('warning');
    expect(done.coherence).toContainEqual({
      check: 'total-vulnerabilities',
      entity: null,
      expected: '13',
      actual: '11',
      level: 'warning',
    });
    expect(done.coherence).toContainEqual(
      expect.objectContaining({ check: 'host-missing-in-detail', entity: '10.20.0.15' }),
    );
    // Same detail rows as the first report: same finding keys, still 11 findings in the latest state.
    expect((await overview()).findings).toBe(11);
    const narrowed = await overview(`?report=${accepted.body.id}`);
    expect(narrowed.findings).toBe(11);
  });

  it('given a header-only file, then the import is done with 0 findings and flagged', async () => {
    const accepted = await upload(readFileSync(`${scans}qualys/empty.csv`), 'empty.csv');
    const done = await waitForImport(accepted.body.id);
    expect(done).toMatchObject({
      status: 'done',
      findings: 0,
      dialect: 'qualys-detection-csv',
      coherenceLevel: 'warning',
    });
    expect(done.coherence).toContainEqual(
      expect.objectContaining({ check: 'zero-findings', level: 'warning' }),
    );
  });

  it('given a file truncated inside a quoted field, then the import fails with the line and earlier data stays', async () => {
    const text = fourHosts.toString('utf8');
    // Cut two characters into a quoted field of the last row.
    const accepted = await upload(text.slice(0, text.lastIndexOf('","') + 5), 'truncated.csv');
    const failed = await waitForImport(accepted.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({
      line: expect.any(Number),
      reason: expect.stringContaining('quoted field never closed'),
    });
    expect((await overview()).findings).toBe(11);
  });

  it('answers bad uploads with problem bodies and keeps serving', async () => {
    expectProblem(await upload('name,email\nbob,bob@example.test\n', 'contacts.csv'), 422);
    expectProblem(await upload('', 'empty.csv'), 422);
    expectProblem(await upload(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0x14, 0]), 'garbage.bin'), 422);
    // A real report head, so the limit (not the content) is what stops it.
    expectProblem(await upload(Buffer.concat([fourHosts, Buffer.alloc(65 * 2 ** 20, 'a')]), 'huge.csv'), 413);
    expectProblem(
      await call('/api/imports', {
        method: 'POST',
        token: adminToken,
        headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nunterminated',
      }),
      400,
    );
    expectProblem(
      await call('/api/imports', {
        method: 'POST',
        token: adminToken,
        headers: { 'content-type': 'text/csv' },
        body: 'a,b',
      }),
      415,
    );
    expect((await call('/healthz')).status).toBe(200);
    expect((await overview()).findings).toBe(11);
  });

  it('rejects a wrong password with 401 and no hint which part was wrong', async () => {
    const wrongPassword = await login('admin', 'not-the-password');
    const unknownUser = await login('nobody', 'not-the-password');
    expectProblem(wrongPassword, 401);
    expect(unknownUser.body.detail).toBe(wrongPassword.body.detail);
  });

  it('answers 401 without a token, 403 to a viewer on an admin route, and 403 until a forced password change', async () => {
    expectProblem(await call('/api/overview'), 401);
    expectProblem(await call('/api/overview', { token: 'forged.token.value' }), 401);
    await q2h.accounts.create('default', 'vera', 'vera-initial-pass', ['viewer']);
    const first = await login('vera', 'vera-initial-pass');
    expect(first.body.mustChangePassword).toBe(true);
    expectProblem(await call('/api/overview', { token: first.body.token }), 403);
    const changed = await call('/api/auth/password', {
      method: 'POST',
      token: first.body.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'vera-initial-pass', newPassword: 'vera-new-password-1' }),
    });
    expect(changed.status).toBe(200);
    const viewer = changed.body.token as string;
    expect((await call('/api/overview', { token: viewer })).body.findings).toBe(11);
    expectProblem(await upload(fourHosts, 'x.csv', viewer), 403);
  });

  it('exports the latest-state findings of a filter as an Excel-friendly CSV', async () => {
    const all = await call('/api/exports/findings.csv', { token: adminToken });
    expect(all.status).toBe(200);
    expect(all.type).toContain('text/csv');
    const text = String(all.body); // fetch's text() drops the BOM; the raw bytes keep it
    expect(text.startsWith('"IP","DNS"')).toBe(true);
    const raw = await fetch(`${q2h.url}/api/exports/findings.csv`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect([...new Uint8Array(await raw.arrayBuffer()).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = text
      .trim()
      .split('\r\n')
      .filter((line) => /^"10\./.test(line));
    expect(rows).toHaveLength(11);
    const critical = String(
      (await call('/api/exports/findings.csv?severities=4,5', { token: adminToken })).body,
    );
    expect(
      critical
        .trim()
        .split('\r\n')
        .filter((line) => /^"10\./.test(line)),
    ).toHaveLength(5);
    expect(critical).toContain('"Microsoft Windows Security Update for November 2026","5"');
  });

  it('validates filters and serves its OpenAPI 3.1 description', async () => {
    expectProblem(await call('/api/overview?severities=9', { token: adminToken }), 400);
    expectProblem(await call('/api/imports/unknown', { token: adminToken }), 404);
    const doc = await call('/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/auth/login', '/auth/password', '/imports', '/imports/{id}', '/overview']),
    );
  });

  it('exposes Prometheus metrics of HTTP latency, ingest and publishing', async () => {
    const metrics = await call('/metrics');
    expect(metrics.body).toContain('q2h_http_request_duration_seconds_bucket');
    const rows = /q2h_ingest_rows_total\{dialect="qualys-scan-report-csv"\} (\d+)/.exec(metrics.body)?.[1];
    expect(Number(rows)).toBeGreaterThanOrEqual(22);
    expect(metrics.body).toMatch(/q2h_events_published_total\{topic="q2h.findings.v1"\} \d+/);
    expect(metrics.body).toContain('q2h_projection_lag_records');
  });

  // Last: it adds thousands of findings to the counts the tests above assert.
  it('keeps answering /healthz quickly while a large report is imported', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'q2h-large-')), 'large.csv');
    const plan = await generateScanReport({ targetBytes: 40 * 2 ** 20, seed: 7, out: path });
    const accepted = await upload(readFileSync(path), 'large.csv', adminToken);
    expect(accepted.status).toBe(202);
    let worst = 0;
    let samples = 0;
    for (;;) {
      const t0 = performance.now();
      expect((await call('/healthz')).status).toBe(200);
      worst = Math.max(worst, performance.now() - t0);
      samples++;
      const { body } = await call(`/api/imports/${accepted.body.id}`, { token: adminToken });
      if (body.status === 'done' || body.status === 'failed') {
        expect(body).toMatchObject({ status: 'done', findings: plan.rows });
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(samples).toBeGreaterThan(5);
    // A blocked event loop (a sync engine call, a whole-file parse on the main thread) shows as seconds.
    expect(worst).toBeLessThan(1000);
  });
});
