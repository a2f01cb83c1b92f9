import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type RunningQ2h, startEmbedded } from '@q2h/auth-gateway';
import { createLogger, loadConfig } from '@q2h/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A real embedded q2h polling every 200 ms: a file is imported two listings after it stops changing.
const INTERVAL_MS = 200;
const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const fourHosts = `${scans}qualys_scan_report/scan_report_4_hosts.csv`;
const incoherent = `${scans}qualys_scan_report/scan_report_incoherent.csv`;
const latin1 = `${scans}qualys_scan_report/scan_report_4_hosts_latin1.csv`;
const sample = `${scans}qualys/Qualys_Sample_Report.csv`;
const ADMIN_PASSWORD = 'admin-password-for-tests';

let q2h: RunningQ2h;
let adminToken: string;
let watched: string;
let folderId: string;

interface FileView {
  name: string;
  outcome: string;
  reason: string | null;
  importId: string | null;
  import: { status: string; findings: number | null } | null;
}
interface FolderView {
  id: string;
  path: string;
  enabled: boolean;
  status: string;
  lastScanAt: string | null;
  lastError: string | null;
  recentFiles: FileView[];
}

async function call(path: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set('content-type', 'application/json');
  const response = await fetch(`${q2h.url}${path}`, {
    ...init,
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await response.text();
  const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, type: response.headers.get('content-type') ?? '', body };
}

async function login(username: string, password: string): Promise<string> {
  const first = await call('/api/auth/login', { method: 'POST', json: { username, password } });
  if (!first.body.mustChangePassword) return first.body.token;
  const changed = await call('/api/auth/password', {
    method: 'POST',
    token: first.body.token,
    json: { currentPassword: password, newPassword: `${password}-changed` },
  });
  return changed.body.token;
}

function expectProblem(
  response: { status: number; type: string; body: Record<string, unknown> },
  status: number,
) {
  expect(response.status).toBe(status);
  expect(response.type).toContain('application/problem+json');
  expect(response.body).toMatchObject({ status, type: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /);
}

const folder = async (): Promise<FolderView> =>
  (await call(`/api/watched-folders/${folderId}`, { token: adminToken })).body;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the folder until `ready` holds (the poller works in the background). */
async function waitForFolder(ready: (f: FolderView) => boolean, what: string): Promise<FolderView> {
  for (let i = 0; i < 300; i++) {
    const f = await folder();
    if (ready(f)) return f;
    await sleep(100);
  }
  throw new Error(`watched folder never showed: ${what}\n${JSON.stringify(await folder(), null, 2)}`);
}

/** Resolves after the poller has listed the folder `n` more times. */
async function scansPassed(n: number): Promise<void> {
  const start = Date.parse((await folder()).lastScanAt ?? '1970-01-01');
  await waitForFolder(
    (f) => Date.parse(f.lastScanAt ?? '1970-01-01') >= start + n * INTERVAL_MS,
    `${n} more scans`,
  );
}

const fileNamed = (f: FolderView, name: string) => f.recentFiles.find((x) => x.name === name);
/** Handled: no longer claimed and being copied. */
const settled = (file: FileView | undefined) => file !== undefined && file.outcome !== 'importing';

async function waitForImportDone(id: string) {
  for (let i = 0; i < 300; i++) {
    const { body } = await call(`/api/imports/${id}`, { token: adminToken });
    if (body.status === 'done' || body.status === 'failed') return body;
    await sleep(100);
  }
  throw new Error(`import ${id} did not finish`);
}

const importCount = async () =>
  ((await call('/api/imports', { token: adminToken })).body.items as unknown[]).length;

beforeAll(async () => {
  const loaded = loadConfig({
    Q2H_PORT: '0',
    Q2H_HOST: '127.0.0.1',
    Q2H_DATA_DIR: mkdtempSync(join(tmpdir(), 'q2h-watch-api-')),
    Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
    Q2H_WATCH_INTERVAL_MS: String(INTERVAL_MS),
    Q2H_LOG_LEVEL: 'warn',
  });
  if (loaded.kind !== 'ok') throw new Error(loaded.problems.join());
  q2h = await startEmbedded(loaded.config, createLogger(process.env.Q2H_TEST_LOG ?? 'silent'));
  adminToken = await login('admin', ADMIN_PASSWORD);
  watched = mkdtempSync(join(tmpdir(), 'q2h-watched-'));
});
afterAll(async () => {
  await q2h?.close();
});

describe('watched folders', () => {
  it('refuses a path that is not an absolute, existing, readable directory with a 400 problem', async () => {
    const add = (path: string) =>
      call('/api/watched-folders', { method: 'POST', token: adminToken, json: { path } });
    const missing = await add(join(watched, 'does-not-exist'));
    expectProblem(missing, 400);
    expect(missing.body).toMatchObject({ field: 'path', detail: expect.stringContaining('does not exist') });
    expectProblem(await add('relative/scans'), 400);
    const file = join(mkdtempSync(join(tmpdir(), 'q2h-not-a-dir-')), 'a.csv');
    writeFileSync(file, 'x');
    expect((await add(file)).body.detail).toContain('not a directory');
    expectProblem(
      await call('/api/watched-folders', {
        method: 'POST',
        token: adminToken,
        json: { path: watched, ignoreBefore: 'yesterday' },
      }),
      400,
    );
  });

  it('answers 403 to an analyst and a viewer, 401 without a token', async () => {
    for (const role of ['analyst', 'viewer'] as const) {
      await q2h.accounts.create('default', `${role}-w`, `${role}-initial-pass`, [role]);
      const token = await login(`${role}-w`, `${role}-initial-pass`);
      expectProblem(await call('/api/watched-folders', { token }), 403);
      expectProblem(
        await call('/api/watched-folders', { method: 'POST', token, json: { path: watched } }),
        403,
      );
    }
    expectProblem(await call('/api/watched-folders'), 401);
  });

  it('given an admin adds a folder, then it is listed, watched, and a second add of it is a 409', async () => {
    const ignoreBefore = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const created = await call('/api/watched-folders', {
      method: 'POST',
      token: adminToken,
      json: { path: `${watched}/`, enabled: true, ignoreBefore },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ path: watched, enabled: true, ignoreBefore, recentFiles: [] });
    folderId = created.body.id;
    expectProblem(
      await call('/api/watched-folders', { method: 'POST', token: adminToken, json: { path: watched } }),
      409,
    );
    const listed = await call('/api/watched-folders', { token: adminToken });
    expect(listed.body.items.map((f: FolderView) => f.id)).toEqual([folderId]);
    const f = await waitForFolder((v) => v.lastScanAt !== null, 'a first scan');
    expect(f).toMatchObject({ status: 'watching', lastError: null });
  });

  it('given a Scan Report dropped in, then it is imported once: done with 11 findings', async () => {
    copyFileSync(fourHosts, join(watched, 'scan_report_4_hosts.csv'));
    const f = await waitForFolder(
      (v) => fileNamed(v, 'scan_report_4_hosts.csv')?.import?.status === 'done',
      'the report imported',
    );
    const file = fileNamed(f, 'scan_report_4_hosts.csv')!;
    expect(file).toMatchObject({ outcome: 'imported', import: { status: 'done', findings: 11 } });
    const done = await waitForImportDone(file.importId!);
    expect(done).toMatchObject({ filename: 'scan_report_4_hosts.csv', findings: 11, hosts: 4 });
    expect(await importCount()).toBe(1);
    await scansPassed(3);
    expect(await importCount()).toBe(1); // listed again and again, imported once
  });

  it('given the same content under another name, then it is recognised and not imported again', async () => {
    const first = fileNamed(await folder(), 'scan_report_4_hosts.csv')!;
    copyFileSync(fourHosts, join(watched, 'copy-of-the-same.csv'));
    const f = await waitForFolder((v) => settled(fileNamed(v, 'copy-of-the-same.csv')), 'the copy seen');
    expect(fileNamed(f, 'copy-of-the-same.csv')).toMatchObject({
      outcome: 'duplicate',
      importId: first.importId,
    });
    expect(await importCount()).toBe(1);
    expect((await call('/api/overview', { token: adminToken })).body.findings).toBe(11);
  });

  it('given a file that is still growing, then it is imported only once it stopped', async () => {
    const content = readFileSync(incoherent);
    const path = join(watched, 'growing.csv');
    const pieces = 20;
    const piece = Math.ceil(content.length / pieces);
    // Appends every 80 ms for 1.6 s: eight listings see a different size each time.
    for (let i = 0; i < pieces; i++) {
      appendFileSync(path, content.subarray(i * piece, (i + 1) * piece));
      await sleep(80);
      expect(fileNamed(await folder(), 'growing.csv'), `after piece ${i + 1}`).toBeUndefined();
    }
    const f = await waitForFolder(
      (v) => fileNamed(v, 'growing.csv')?.import?.status === 'done',
      'the grown file imported',
    );
    const done = await waitForImportDone(fileNamed(f, 'growing.csv')!.importId!);
    expect(done).toMatchObject({ status: 'done', bytesTotal: content.length, findings: 11 });
    expect(await importCount()).toBe(2);
  });

  it('given a file modified before ignoreBefore, then it is skipped', async () => {
    const path = join(watched, 'old-report.csv');
    copyFileSync(sample, path);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(path, twoDaysAgo, twoDaysAgo);
    await scansPassed(4);
    expect(fileNamed(await folder(), 'old-report.csv')).toBeUndefined();
    expect(await importCount()).toBe(2);
  });

  it('given a file that is not a report, then the folder says why and keeps importing', async () => {
    writeFileSync(join(watched, 'contacts.csv'), 'name,email\nbob,bob@example.test\n');
    const f = await waitForFolder((v) => v.lastError !== null, 'an error');
    expect(f.lastError).toContain('contacts.csv');
    expect(f.lastError).toContain('not a recognised scanner report');
    expect(f.status).toBe('watching');
    expect(fileNamed(f, 'contacts.csv')).toMatchObject({ outcome: 'rejected', importId: null });
    expect((await call('/healthz')).status).toBe(200);
  });

  it('given the same report gzipped, then it is expanded and known as the same content', async () => {
    const first = fileNamed(await folder(), 'scan_report_4_hosts.csv')!;
    writeFileSync(join(watched, 'weekly.csv.gz'), gzipSync(readFileSync(fourHosts)));
    const f = await waitForFolder((v) => settled(fileNamed(v, 'weekly.csv.gz')), 'the gzip handled');
    expect(fileNamed(f, 'weekly.csv.gz')).toMatchObject({
      outcome: 'duplicate',
      importId: first.importId,
      import: { filename: 'scan_report_4_hosts.csv' },
    });
    expect(await importCount()).toBe(2);
  });

  it('given the folder disabled, then nothing is imported until it is enabled again', async () => {
    const disabled = await call(`/api/watched-folders/${folderId}`, {
      method: 'PATCH',
      token: adminToken,
      json: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, status: 'disabled', lastError: null });
    copyFileSync(latin1, join(watched, 'latin1.csv'));
    await sleep(6 * INTERVAL_MS);
    expect(fileNamed(await folder(), 'latin1.csv')).toBeUndefined();
    expect(await importCount()).toBe(2);

    expectProblem(
      await call(`/api/watched-folders/${folderId}`, {
        method: 'PATCH',
        token: adminToken,
        json: { path: '/elsewhere' },
      }),
      400,
    );
    await call(`/api/watched-folders/${folderId}`, {
      method: 'PATCH',
      token: adminToken,
      json: { enabled: true },
    });
    const f = await waitForFolder(
      (v) => fileNamed(v, 'latin1.csv')?.import?.status === 'done',
      'latin1 imported',
    );
    expect(fileNamed(f, 'latin1.csv')).toMatchObject({ outcome: 'imported', import: { findings: 11 } });
    expect(await importCount()).toBe(3);
  });

  it('given a folder that became unreadable, then its status says so; deleting it keeps its imports', async () => {
    const gone = mkdtempSync(join(tmpdir(), 'q2h-watched-gone-'));
    const added = await call('/api/watched-folders', {
      method: 'POST',
      token: adminToken,
      json: { path: gone },
    });
    const { rmSync } = await import('node:fs');
    rmSync(gone, { recursive: true });
    for (let i = 0; i < 100; i++) {
      const { body } = await call(`/api/watched-folders/${added.body.id}`, { token: adminToken });
      if (body.status === 'unreadable') {
        expect(body.lastError).toContain('cannot read the folder');
        break;
      }
      if (i === 99) throw new Error(`never unreadable: ${JSON.stringify(body)}`);
      await sleep(100);
    }
    for (const id of [added.body.id, folderId]) {
      expect((await call(`/api/watched-folders/${id}`, { method: 'DELETE', token: adminToken })).status).toBe(
        204,
      );
    }
    expectProblem(await call(`/api/watched-folders/${folderId}`, { token: adminToken }), 404);
    expect((await call('/api/watched-folders', { token: adminToken })).body.items).toEqual([]);
    expect(await importCount()).toBe(3);
  });

  it('describes the routes in its OpenAPI document', async () => {
    const doc = await call('/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/watched-folders', '/watched-folders/{id}']),
    );
  });
});
