import fs, { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type RunningQ2h, startEmbedded } from '@q2h/auth-gateway';
import { generateScanReport } from '@q2h/bench/generate-scan-report';
import { createLogger, loadConfig } from '@q2h/platform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ImportJob, runImport } from '../../services/ingest/src/domain/import-job.ts';
import { gzipOf, zipBomb, zipOf } from '../../services/ingest/test/archive-samples.ts';

/**
 * The failure story: every way an upload can go wrong, each against a real embedded q2h. Each case
 * ends with a status and a reason a person can act on, and (afterEach) the service still answers,
 * the first import's counts are unchanged and no temporary file is left in the upload directory.
 */

const scans = fileURLToPath(new URL('../../../shared/fixtures/scans/', import.meta.url));
const fixture = (path: string) => readFileSync(`${scans}${path}`);
const fourHosts = fixture('qualys_scan_report/scan_report_4_hosts.csv');
const fourHostsText = fourHosts.toString('utf8');
const ADMIN_PASSWORD = 'admin-password-for-tests';

let q2h: RunningQ2h;
let dataDir: string;
let adminToken: string;
const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
let firstImport: { id: string; view: Record<string, unknown>; overview: Record<string, unknown> };

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${q2h.url}${path}`, { ...init, headers });
  const text = await response.text();
  const body = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, type: response.headers.get('content-type') ?? '', body };
}

function upload(content: Uint8Array | string, filename: string) {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  return call('/api/imports', { method: 'POST', body: form, token: adminToken });
}

async function waitForImport(id: string) {
  for (let i = 0; i < 600; i++) {
    const { body } = await call(`/api/imports/${id}`, { token: adminToken });
    if (body.status === 'done' || body.status === 'failed') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import ${id} did not finish`);
}

/** Uploads and waits for the import's end: for files that are accepted, then fail or complete. */
async function imported(content: Uint8Array | string, filename: string) {
  const accepted = await upload(content, filename);
  expect(accepted.status).toBe(202);
  return waitForImport(accepted.body.id);
}

/** 1-based line of a character offset in the 4-hosts report. */
const lineOf = (offset: number) => fourHostsText.slice(0, offset).split('\n').length;

const overview = async (query = '') => (await call(`/api/overview${query}`, { token: adminToken })).body;
const counts = ({ findings, hosts, critical }: Record<string, unknown>) => ({ findings, hosts, critical });

/** A refusal at the door: a problem body with the reason, and nothing of the file counted. */
async function expectRefused(
  response: { status: number; type: string; body: Record<string, unknown> },
  status: number,
  slug: string,
  detail: string | RegExp,
) {
  expect(response.status).toBe(status);
  expect(response.type).toContain('application/problem+json');
  expect(response.body).toMatchObject({ status, type: `https://q2h.dev/problems/${slug}` });
  expect(response.body.detail).toMatch(detail);
  expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /); // never a stack trace
}

/** Deterministic bytes that are no report (xorshift32), not starting with any archive's magic. */
function binaryGarbage(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 2463534242;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0x7f;
  return out;
}

/**
 * Makes files created under `dir` fail with ENOSPC once `roomBytes` were written to one of them, as
 * a full disk does: fs.createWriteStream is swapped process-wide (syncBuiltinESMExports carries the
 * swap to the ESM `import { createWriteStream }` bindings the upload store uses). Returns the undo.
 */
function fillDiskUnder(dir: string, roomBytes: number): () => void {
  const real = fs.createWriteStream;
  const filling = (path: fs.PathLike, options?: Parameters<typeof real>[1]) => {
    const file = real(path, options);
    if (!String(path).startsWith(dir)) return file;
    let written = 0;
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        if (written <= roomBytes) return file.write(chunk, done);
        const full = Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
          errno: -28,
          syscall: 'write',
        });
        done(full);
      },
      final: (done) => file.end(done),
      destroy: (error, done) => {
        file.destroy();
        done(error);
      },
    });
  };
  fs.createWriteStream = filling as unknown as typeof fs.createWriteStream;
  syncBuiltinESMExports();
  return () => {
    fs.createWriteStream = real;
    syncBuiltinESMExports();
  };
}

beforeAll(async () => {
  dataDir = tempDir('q2h-failure-story-');
  const loaded = loadConfig({
    Q2H_PORT: '0',
    Q2H_HOST: '127.0.0.1',
    Q2H_DATA_DIR: dataDir,
    Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
    Q2H_MAX_UPLOAD_MB: '64',
    Q2H_LOG_LEVEL: 'warn',
  });
  if (loaded.kind !== 'ok') throw new Error(loaded.problems.join());
  q2h = await startEmbedded(loaded.config, createLogger(process.env.Q2H_TEST_LOG ?? 'silent'));
  const login = await call('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  adminToken = login.body.token;
  // The import every case must leave alone.
  const accepted = await upload(fourHosts, 'scan_report_4_hosts.csv');
  const view = await waitForImport(accepted.body.id);
  expect(view).toMatchObject({ status: 'done', findings: 11 });
  firstImport = {
    id: accepted.body.id,
    view,
    overview: counts(await overview(`?report=${accepted.body.id}`)),
  };
  expect(firstImport.overview).toEqual({ findings: 11, hosts: 4, critical: 5 });
});

afterAll(async () => {
  await q2h?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  expect((await call('/healthz')).status).toBe(200);
  expect(counts(await overview(`?report=${firstImport.id}`))).toEqual(firstImport.overview);
  expect((await call(`/api/imports/${firstImport.id}`, { token: adminToken })).body).toEqual(
    firstImport.view,
  );
  await q2h.importsIdle();
  expect(readdirSync(join(dataDir, 'uploads'))).toEqual([]);
});

describe('failure story: damaged files', () => {
  it('given a report truncated in the middle of a row, then the import fails at that line saying what was expected', async () => {
    const cut = fourHostsText.slice(0, fourHostsText.lastIndexOf('\n"10.20') + 40);
    const failed = await imported(cut, 'truncated.csv');
    expect(failed).toMatchObject({
      status: 'failed',
      error: { line: 44, reason: 'expected 38 fields as in the header, found 3' },
    });
  });

  it('given a report truncated at a line boundary, then it completes and its coherence says rows are missing', async () => {
    const cut = fourHostsText.slice(0, fourHostsText.lastIndexOf('\n"10.20') + 1);
    const done = await imported(cut, 'truncated-at-a-row.csv');
    expect(done).toMatchObject({ status: 'done', findings: 10, coherenceLevel: 'warning' });
    expect(done.coherence).toContainEqual({
      check: 'total-vulnerabilities',
      entity: null,
      expected: '11',
      actual: '10',
      level: 'warning',
    });
  });

  it('given an XML report truncated mid-element, then the import fails with the line and the unclosed tag', async () => {
    const nessus = fixture('nessus/nessus_with_cvssv3.nessus').toString('utf8');
    const failed = await imported(nessus.slice(0, Math.floor(nessus.length * 0.6)), 'truncated.nessus');
    expect(failed).toMatchObject({
      status: 'failed',
      error: {
        line: expect.any(Number),
        reason: expect.stringMatching(/^not well-formed XML: unclosed tag/),
      },
    });
  });

  it('given a quoted field that is never closed, then the import fails at the line where the field opens', async () => {
    // The file ends inside the first detail row's multi-line Results field.
    const results = '"KB5049981 is not installed\n';
    const at = fourHostsText.indexOf(results) + results.length;
    const failed = await imported(fourHostsText.slice(0, at), 'unclosed-quote.csv');
    const rowLine = lineOf(fourHostsText.lastIndexOf('\n"10.20', at) + 1);
    expect(failed).toMatchObject({
      status: 'failed',
      error: { line: rowLine, reason: 'quoted field never closed (file truncated?)' },
    });
  });

  it('given a closing quote missing in the middle of the file, then the import fails at that row', async () => {
    const results = '"KB5049984 is not installed"';
    const at = fourHostsText.indexOf(results);
    const failed = await imported(fourHostsText.replace(results, results.slice(0, -1)), 'missing-quote.csv');
    expect(failed).toMatchObject({
      status: 'failed',
      // papaparse's words: the quote opened on that row is "closed" by the next field's opening quote.
      error: { line: lineOf(fourHostsText.lastIndexOf('\n"10.20', at) + 1), reason: expect.any(String) },
    });
  });

  it('given binary garbage, then it is refused with 422 before anything is imported', async () => {
    const before = counts(await overview());
    await expectRefused(
      await upload(binaryGarbage(256 * 1024), 'scan.csv'),
      422,
      'binary-file',
      'scan.csv: the file holds binary data, not a scanner report',
    );
    expect(counts(await overview())).toEqual(before);
  });
});

describe('failure story: files that are not what q2h reads', () => {
  it('given a Qualys report re-saved with semicolons, then the delimiter is detected and it imports', async () => {
    const done = await imported(fourHostsText.replaceAll('","', '";"'), 'excel-resaved.csv');
    expect(done).toMatchObject({ status: 'done', dialect: 'qualys-scan-report-csv', findings: 11, hosts: 4 });
  });

  it('given a report delimited by pipes, then it is refused with 422 naming the delimiter', async () => {
    await expectRefused(
      await upload(fourHostsText.replaceAll('","', '"|"'), 'piped.csv'),
      422,
      'unsupported-delimiter',
      /^piped\.csv: its first line \(.*\) is separated by "\|": q2h reads CSV separated by commas, semicolons or tabs$/,
    );
  });

  it('given a CSV whose header matches no scanner dialect, then it is refused with 422 showing that header', async () => {
    await expectRefused(
      await upload('hostname,owner,ticket\nweb01,alice,INC-1\n', 'cmdb.csv'),
      422,
      'unknown-dialect',
      /^cmdb\.csv: not a recognised scanner report: its first line \("hostname,owner,ticket"\) matches none of the \d+ formats q2h reads \(exports of Qualys, Nessus\/Tenable/,
    );
  });

  it('given XML declaring an external entity or a billion laughs, then it is refused unexpanded with 422', async () => {
    const nessus = fixture('nessus/nessus_with_cvssv3.nessus').toString('utf8');
    const xxe = nessus.replace(
      '<?xml version="1.0" ?>',
      '<?xml version="1.0" ?>\n<!DOCTYPE NessusClientData_v2 [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    );
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE NessusClientData_v2 [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`),
      ']>',
      '<NessusClientData_v2><Report name="&lol9;"/></NessusClientData_v2>',
    ].join('\n');
    for (const [content, name] of [
      [xxe, 'xxe.nessus'],
      [laughs, 'laughs.nessus'],
    ] as const) {
      await expectRefused(
        await upload(content, name),
        422,
        'xml-entities',
        `${name}: the XML declares entities (DTD): refused, never expanded`,
      );
    }
    // A DOCTYPE naming an external DTD, without entity declarations, is what Qualys writes: it imports.
    const qualys = fixture('qualys/Qualys_Sample_Report.xml');
    expect(qualys.toString('utf8', 0, 200)).toContain('<!DOCTYPE ASSET_DATA_REPORT SYSTEM');
    expect(await imported(qualys, 'Qualys_Sample_Report.xml')).toMatchObject({ status: 'done' });
  });

  it('given a report with zero findings, then the import completes with 0 and is flagged zero-findings', async () => {
    const done = await imported(fixture('qualys_hacker_guardian/zero_finding.csv'), 'zero_finding.csv');
    expect(done).toMatchObject({ status: 'done', findings: 0, coherenceLevel: 'warning' });
    expect(done.coherence).toContainEqual(
      expect.objectContaining({ check: 'zero-findings', expected: 'at least 1 finding', level: 'warning' }),
    );
  });

  it('given a 10 MB Results field, then the report imports whole', async () => {
    const results = '"KB5049984 is not installed"';
    const line = 'C:\\Windows\\WinSxS\\amd64_microsoft-windows-kernel 10.0.17763.6414 is installed\n';
    const huge = line.repeat(Math.ceil((10 * 2 ** 20) / line.length));
    const content = Buffer.from(fourHostsText.replace(results, `"${huge}"`));
    expect(content.length).toBeGreaterThan(10 * 2 ** 20);
    const done = await imported(content, 'huge-results.csv');
    expect(done).toMatchObject({ status: 'done', findings: 11, bytesDone: content.length });
  });
});

describe('failure story: archives', () => {
  it('given a .gz or a .zip holding one report, then that report is imported, named after the archive entry', async () => {
    const sample = fixture('qualys/Qualys_Sample_Report.csv');
    const gz = await imported(gzipOf(sample), 'sample.gz');
    expect(gz).toMatchObject({
      status: 'done',
      filename: 'sample.gz',
      findings: 6,
      bytesTotal: sample.length,
    });
    const nessus = fixture('nessus/nessus_many_vuln.csv');
    const zip = await imported(zipOf([{ name: 'nessus_many_vuln.csv', data: nessus }]), 'export.zip');
    expect(zip).toMatchObject({ status: 'done', filename: 'export.zip/nessus_many_vuln.csv', findings: 4 });
  });

  it('given the first report zipped, then it is the same import (the report is hashed, not the archive)', async () => {
    const again = await upload(zipOf([{ name: 'scan_report_4_hosts.csv', data: fourHosts }]), 'again.zip');
    expect(again).toMatchObject({ status: 200, body: { id: firstImport.id, duplicate: true } });
  });

  it('given a zip with two reports or none, then it is refused with 422 saying so', async () => {
    const two = zipOf([
      { name: 'monday.csv', data: fourHosts },
      { name: 'tuesday.csv', data: fourHosts },
    ]);
    await expectRefused(
      await upload(two, 'week.zip'),
      422,
      'archive-not-one-report',
      'week.zip: the zip holds more than one file (monday.csv, then tuesday.csv): put one report per archive',
    );
    await expectRefused(
      await upload(zipOf([{ name: 'reports/' }]), 'empty.zip'),
      422,
      'archive-not-one-report',
      'empty.zip: the zip holds no file: nothing to import',
    );
  });

  it('given two files in one multipart upload, then it is refused with 400 and neither is imported', async () => {
    const before = counts(await overview());
    const form = new FormData();
    form.append('file', new Blob([fourHostsText.replace('AG_Windows', 'AG_Two_1')]), 'one.csv');
    form.append('file', new Blob([fourHostsText.replace('AG_Windows', 'AG_Two_2')]), 'two.csv');
    await expectRefused(
      await call('/api/imports', { method: 'POST', body: form, token: adminToken }),
      400,
      'malformed-multipart',
      'malformed upload: the request holds more than one file: send one report per upload',
    );
    expect(counts(await overview())).toEqual(before);
  });

  it('given a zip bomb, then it is refused with 422 before it is expanded', async () => {
    const bomb = await zipBomb(200); // 200 MiB of one letter in ~200 KB
    await expectRefused(
      await upload(bomb, 'report.zip'),
      422,
      'archive-too-large',
      /^report\.zip: it expands to more than \d+ MB, over 200× its compressed size: refused as a likely zip bomb$/,
    );
    const small = await zipBomb(100, { declaredSize: 1000 }); // lies about its size: counted while inflating
    await expectRefused(await upload(small, 'liar.zip'), 422, 'corrupt-archive', /too many bytes/);
  });

  it('given an encrypted zip or an archive inside the archive, then it is refused with 422', async () => {
    await expectRefused(
      await upload(zipOf([{ name: 'scan.csv', data: fourHosts, encrypted: true }]), 'locked.zip'),
      422,
      'encrypted-archive',
      'locked.zip: scan.csv is encrypted in the zip: q2h cannot read password-protected archives; upload it without a password',
    );
    await expectRefused(
      await upload(gzipOf(zipOf([{ name: 'scan.csv', data: fourHosts }])), 'scan.zip.gz'),
      422,
      'nested-archive',
      'scan.zip.gz: the gzip content is itself a zip archive: q2h opens one level of .gz or .zip; upload the report it holds',
    );
  });
});

describe('failure story: concurrency and the server', () => {
  it('given the same file uploaded four times at once, then exactly one import counts and the others are it', async () => {
    const report = fixture('openvas/many_vuln.csv');
    const before = counts(await overview());
    const answers = await Promise.all([1, 2, 3, 4].map((n) => upload(report, `copy-${n}.csv`)));
    const admitted = answers.filter((a) => a.status === 202);
    expect(admitted).toHaveLength(1);
    const id = admitted[0]?.body.id;
    for (const other of answers.filter((a) => a.status !== 202)) {
      expect(other).toMatchObject({ status: 200, body: { id, duplicate: true } });
    }
    const done = await waitForImport(id);
    expect(done).toMatchObject({ status: 'done', findings: 4 });
    const list = (await call('/api/imports', { token: adminToken })).body.items as { filename: string }[];
    expect(list.filter((i) => i.filename.startsWith('copy-'))).toHaveLength(1);
    expect((await overview()).findings).toBe((before.findings as number) + 4);
  });

  it('given a disk that fills up while a report is uploaded and parsed, then 507, nothing imported, and the next upload works', async () => {
    const uploads = join(dataDir, 'uploads');
    const path = join(tempDir('q2h-disk-full-'), 'report.csv');
    await generateScanReport({ targetBytes: 4 * 2 ** 20, seed: 11, out: path });
    const report = readFileSync(path);
    const before = counts(await overview());
    const catalogued = (await call('/api/imports', { token: adminToken })).body.items.length;
    // Room for 1 MiB: the head is recognised and the import has started when the disk fills.
    const restore = fillDiskUnder(uploads, 2 ** 20);
    try {
      await expectRefused(
        await upload(report, 'big.csv'),
        507,
        'insufficient-storage',
        'the server has no room left to store the file (ENOSPC): nothing was imported, try again later',
      );
      // The same for a report sent as the request body (curl -T)…
      await expectRefused(
        await call('/api/imports?filename=big.csv', {
          method: 'POST',
          token: adminToken,
          headers: { 'content-type': 'application/octet-stream' },
          body: report,
        }),
        507,
        'insufficient-storage',
        /\(ENOSPC\)/,
      );
      // …and for a report expanded from a small archive: the archive fits, its report does not.
      await expectRefused(
        await upload(gzipOf(report), 'big.csv.gz'),
        507,
        'insufficient-storage',
        /\(ENOSPC\)/,
      );
    } finally {
      restore();
    }
    await q2h.importsIdle();
    expect(counts(await overview())).toEqual(before);
    expect((await call('/api/imports', { token: adminToken })).body.items.length).toBe(catalogued);
    const retried = await imported(report, 'big.csv');
    expect(retried).toMatchObject({ status: 'done', bytesDone: report.length });
  });
});

describe('failure story: a file replaced while it is read (domain level)', () => {
  // Uploads are written to a private file of the upload directory under a random name, so no client can
  // replace what is being parsed; this pins what the reader does if something on the server does.
  async function importWhile(change: (path: string) => void) {
    const dir = tempDir('q2h-replaced-');
    const path = join(dir, 'report.csv');
    const plan = await generateScanReport({ targetBytes: 6 * 2 ** 20, seed: 5, out: path });
    const published: { type: string }[] = [];
    const job: ImportJob = {
      tenant: 'default',
      importId: 'replaced-while-read',
      sequence: 1,
      filename: 'report.csv',
      path,
      sha256: 'not-checked-here',
      bytesTotal: plan.bytes,
      dialect: 'qualys-scan-report-csv',
      encoding: 'utf-8',
    };
    let changed = false;
    const outcome = await runImport(job, {
      publisher: {
        async publish(_topic, events) {
          published.push(...events);
        },
      },
      onRows: () => {
        if (!changed) change(path);
        changed = true;
      },
    });
    const closing = published.filter((e) => e.type === 'ImportFailed' || e.type === 'ImportCompleted');
    return { outcome, closing, plan };
  }

  it('given the file truncated during parsing, then the import fails cleanly with a line and a reason', async () => {
    const { outcome, closing, plan } = await importWhile((path) => truncateSync(path, 2 ** 20 + 1000));
    if (outcome.kind === 'completed') {
      // Cut at a row boundary: a consistent, shorter import (and the coherence checks say so).
      expect(outcome.findings).toBeLessThan(plan.rows);
    } else {
      expect(outcome).toMatchObject({ kind: 'failed', line: expect.any(Number), reason: expect.any(String) });
    }
    expect(closing).toHaveLength(1);
  });

  it('given the file rewritten with other content during parsing, then the import ends, failed or consistent', async () => {
    const { outcome, closing } = await importWhile((path) =>
      writeFileSync(path, binaryGarbage(8 * 2 ** 20).toString('latin1')),
    );
    expect(['failed', 'completed']).toContain(outcome.kind);
    if (outcome.kind === 'failed') expect(outcome.reason).not.toBe('');
    expect(closing).toHaveLength(1);
    expect(closing[0]?.type).toBe(outcome.kind === 'failed' ? 'ImportFailed' : 'ImportCompleted');
  });
});
