import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningQ2h, startEmbedded } from '@q2h/auth-gateway';
import { createLogger, loadConfig } from '@q2h/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const fourHosts = `${scans}qualys_scan_report/scan_report_4_hosts.csv`;
const ADMIN_PASSWORD = 'admin-password-for-cli-tests';

let q2h: RunningQ2h;
let token: string;
let scratch: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as NDJSON: every line must parse. */
  lines: Record<string, unknown>[];
}

/** Runs the CLI as automation would: a child process, stdout and stderr piped (so no terminal). */
function runImport(args: string[], env: Record<string, string> = { Q2H_TOKEN: token }): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', ...args], {
    cwd: repoRoot,
    // Only what the test says: no Q2H_* leaking in from the machine running the tests.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, stdout, stderr, lines });
    });
  });
}

async function importCount(): Promise<number> {
  const response = await fetch(`${q2h.url}/api/imports`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { items: unknown[] }).items.length;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const loaded = loadConfig({
    Q2H_PORT: '0',
    Q2H_HOST: '127.0.0.1',
    Q2H_DATA_DIR: mkdtempSync(join(tmpdir(), 'q2h-cli-')),
    Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
    Q2H_MAX_UPLOAD_MB: '64',
    Q2H_LOG_LEVEL: 'warn',
  });
  if (loaded.kind !== 'ok') throw new Error(loaded.problems.join());
  q2h = await startEmbedded(loaded.config, createLogger(process.env.Q2H_TEST_LOG ?? 'silent'));
  const login = await fetch(`${q2h.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  token = ((await login.json()) as { token: string }).token;
  scratch = mkdtempSync(join(tmpdir(), 'q2h-cli-files-'));
});
afterAll(async () => {
  await q2h?.close();
});

describe('q2h-import against an embedded q2h', () => {
  let firstId: string;

  it('given a Scan Report, when imported from a pipe, then one NDJSON line says done, 11 findings, 4 hosts, exit 0', async () => {
    const run = await runImport(['--url', q2h.url, fourHosts]);
    expect(run.stderr).toBe(''); // no bars when stderr is not a terminal
    expect(run.code).toBe(0);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toEqual({
      file: fourHosts,
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      duplicate: false,
      status: 'done',
      findings: 11,
      hosts: 4,
      coherenceLevel: 'ok',
      error: null,
      seconds: expect.any(Number),
    });
    firstId = run.lines[0]!.id as string;
  });

  it('given the same file again, then it is a duplicate of the first import and still exit 0', async () => {
    const run = await runImport(['--json', '--url', q2h.url, fourHosts]);
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ id: firstId, duplicate: true, status: 'done', findings: 11, hosts: 4 }),
    ]);
  });

  it('given two files in one run, then one line each in order; a coherence warning does not fail the run', async () => {
    const latin1 = `${scans}qualys_scan_report/scan_report_4_hosts_latin1.csv`;
    const incoherent = `${scans}qualys_scan_report/scan_report_incoherent.csv`;
    const run = await runImport(['--url', q2h.url, latin1, incoherent]);
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({
        file: latin1,
        duplicate: false,
        status: 'done',
        findings: 11,
        coherenceLevel: 'ok',
      }),
      expect.objectContaining({
        file: incoherent,
        duplicate: false,
        status: 'done',
        coherenceLevel: 'warning',
      }),
    ]);
    expect(run.lines[0]!.id).not.toBe(run.lines[1]!.id);
  });

  it('given a file that is not a report, then the upload is refused with the problem detail, exit 1', async () => {
    const notes = join(scratch, 'notes.txt');
    writeFileSync(notes, 'these are meeting notes, not a scan report\n');
    const run = await runImport(['--url', q2h.url, notes]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.objectContaining({
        file: notes,
        id: null,
        status: 'refused',
        error: { reason: expect.stringMatching(/^notes\.txt: /), httpStatus: 422 },
      }),
    ]);
  });

  it('given a report truncated inside a quoted field, then the import fails with the line, exit 1', async () => {
    const text = readFileSync(fourHosts, 'latin1');
    const truncated = join(scratch, 'truncated.csv');
    writeFileSync(truncated, text.slice(0, text.lastIndexOf('","') + 5), 'latin1');
    const run = await runImport(['--url', q2h.url, truncated]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      expect.objectContaining({
        status: 'failed',
        id: expect.any(String),
        error: { line: expect.any(Number), reason: expect.any(String) },
      }),
    ]);
  });

  it('given Q2H_USERNAME and Q2H_PASSWORD instead of a token, then it logs in; --no-wait stops at accepted', async () => {
    const flat = `${scans}qualys/Qualys_Sample_Report.csv`;
    const run = await runImport(['--no-wait', '--url', q2h.url, flat], {
      Q2H_USERNAME: 'admin',
      Q2H_PASSWORD: ADMIN_PASSWORD,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ file: flat, duplicate: false, status: 'accepted', findings: null }),
    ]);
  });

  it('given no token, then exit 2 naming the variables to set, and nothing on stdout', async () => {
    const run = await runImport(['--url', q2h.url, fourHosts], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/no credentials: set Q2H_TOKEN/);
  });

  it('given a token the server refuses or a wrong password, then exit 2 saying so', async () => {
    const badToken = await runImport(['--url', q2h.url, fourHosts], { Q2H_TOKEN: 'not-a-token' });
    expect(badToken.code).toBe(2);
    expect(badToken.stdout).toBe('');
    expect(badToken.stderr).toMatch(/refused the token/);
    const badPassword = await runImport(['--url', q2h.url, fourHosts], {
      Q2H_USERNAME: 'admin',
      Q2H_PASSWORD: 'wrong-password',
    });
    expect(badPassword.code).toBe(2);
    expect(badPassword.stderr).toMatch(/login as admin failed: wrong username or password/);
  });

  it('given one unreadable path among the files, then exit 2 naming it and nothing is uploaded', async () => {
    const before = await importCount();
    const copy = join(scratch, 'fresh.csv');
    writeFileSync(copy, readFileSync(fourHosts, 'latin1').replace('AG_Windows', 'AG_Linux'), 'latin1');
    const run = await runImport(['--url', q2h.url, copy, join(scratch, 'missing.csv')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/cannot read .*missing\.csv \(no such file\)/);
    expect(await importCount()).toBe(before);
  });

  it('given a server that does not answer, then exit 2 saying it cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await runImport(['--url', url, fourHosts]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`q2h-import: cannot reach ${url}: ECONNREFUSED\n`);
  });

  it('given a URL where another HTTP server answers, then exit 2 at the first file, nothing imported', async () => {
    const other = createHttpServer((_request, response) => {
      response
        .writeHead(501, { 'content-type': 'text/html' })
        .end('<html><body>Unsupported method</body></html>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
    try {
      const run = await runImport(['--url', url, fourHosts, fourHosts]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `q2h-import: ${url} did not answer as q2h (POST /api/imports answered 501 with no problem body): check --url\n`,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('given the bin shim, then --help prints the usage', async () => {
    const child = spawn(process.execPath, ['cli/bin/q2h-import.js', '--help'], { cwd: repoRoot });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: q2h-import \[--url URL\] \[--json\] \[--no-wait\] FILE\.\.\./);
  });
});
