/**
 * Ingest benchmark, measured in one run on the same generated Scan Report:
 *  (a) the parse-only ceiling: the fastest streaming CSV parses in Node (papaparse, csv-parse) and a
 *      plain read of the file;
 *  (b) end to end in embedded mode through the real API: a q2h server in its own process, the upload
 *      from this process, until the import is done and every finding is queryable; rows/s, MB/s and
 *      the server's peak RSS (sampled from /proc every 100 ms) and its growth over the idle baseline.
 *
 *   node --import tsx bench/src/ingest-bench.ts --size 100MB [--size 1GB] [--seed 1]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateScanReport, parseSize, planScanReport } from './generate-scan-report.ts';
import { type CeilingResult, csvParseCeiling, papaparseCeiling, readCeiling } from './parse-ceiling.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MiB = 2 ** 20;
const ADMIN_PASSWORD = 'bench-admin-password';

interface EndToEnd {
  rows: number;
  bytes: number;
  uploadSeconds: number;
  seconds: number;
  rowsPerSec: number;
  mbPerSec: number;
  baselineRssMb: number;
  peakRssMb: number;
  rssGrowthMb: number;
  findingsQueryable: number;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function startServer(): Promise<{ child: ChildProcess; url: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'q2h-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/auth-gateway/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      Q2H_PORT: String(port),
      Q2H_HOST: '127.0.0.1',
      Q2H_DATA_DIR: dataDir,
      Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
      Q2H_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, url, dataDir };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('q2h did not become ready');
}

/** curl, as an operator's script would upload: native, so the client takes little of the shared CPUs. */
function uploadWithCurl(url: string, file: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-sS', '-H', `authorization: Bearer ${token}`, '-F', `file=@${file}`, url]);
    let out = '';
    curl.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    curl.on('error', reject);
    curl.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited with ${code}`))));
  });
}

async function endToEnd(file: string, bytes: number): Promise<EndToEnd> {
  const { child, url, dataDir } = await startServer();
  const pid = child.pid!;
  try {
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    await new Promise((r) => setTimeout(r, 2000)); // idle baseline after start-up
    const baselineRssMb = rssMb(pid);
    let peakRssMb = baselineRssMb;
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb(pid));
    }, 100);

    const t0 = performance.now();
    const { id } = JSON.parse(await uploadWithCurl(`${url}/api/imports`, file, token)) as { id: string };
    const uploadSeconds = (performance.now() - t0) / 1000;
    let view: { status: string; findings: number; error?: unknown };
    for (;;) {
      view = (await (await fetch(`${url}/api/imports/${id}`, { headers: auth })).json()) as typeof view;
      if (view.status === 'done' || view.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    if (view.status !== 'done') throw new Error(`import failed: ${JSON.stringify(view.error)}`);
    const overview = (await (await fetch(`${url}/api/overview`, { headers: auth })).json()) as {
      findings: number;
    };
    return {
      rows: view.findings,
      bytes,
      uploadSeconds,
      seconds,
      rowsPerSec: view.findings / seconds,
      mbPerSec: bytes / MiB / seconds,
      baselineRssMb,
      peakRssMb,
      rssGrowthMb: peakRssMb - baselineRssMb,
      findingsQueryable: overview.findings,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CEILINGS: Record<string, (file: string) => Promise<CeilingResult>> = {
  read: (f) => readCeiling(f),
  'csv-parse': (f) => csvParseCeiling(f),
  'papaparse-feed': (f) => papaparseCeiling(f, { mode: 'feed' }),
  'papaparse-chunk': (f) => papaparseCeiling(f, { mode: 'chunk' }),
};

/**
 * Each ceiling in its own process: measured in one process after another parser, papaparse ran 4×
 * slower (62 against 246 MiB/s on 1 GiB) — the heap left behind skews the next run.
 */
function ceilingInFreshProcess(name: string, file: string): Promise<CeilingResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--ceiling', name, file],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as CeilingResult)
        : reject(new Error(`ceiling ${name} exited ${code}`)),
    );
  });
}

async function benchSize(size: string, seed: number): Promise<void> {
  const targetBytes = parseSize(size);
  const file = join(root, 'bench', 'out', `report-${size.toLowerCase()}-seed${seed}.csv`);
  const plan = existsSync(file)
    ? planScanReport({ targetBytes, seed })
    : await generateScanReport({ targetBytes, seed, out: file });
  console.log(
    `\n## ${size}: ${(plan.bytes / MiB).toFixed(0)} MiB, ${plan.rows} detail rows, ${plan.hosts} hosts, ${plan.qids} QIDs\n`,
  );

  const ceilings: CeilingResult[] = [];
  for (const name of Object.keys(CEILINGS)) ceilings.push(await ceilingInFreshProcess(name, file));
  const e2e = await endToEnd(file, plan.bytes);
  const fastestParse = ceilings.filter((c) => c.rows > 0).sort((a, b) => b.mbPerSec - a.mbPerSec)[0]!;
  const ratio = e2e.mbPerSec / fastestParse.mbPerSec;

  console.log('| measured | rows/s | MiB/s | s | note |');
  console.log('|---|---:|---:|---:|---|');
  for (const c of ceilings) {
    console.log(
      `| ${c.parser} | ${c.rows ? Math.round(c.rowsPerSec) : '–'} | ${c.mbPerSec.toFixed(1)} | ${c.seconds.toFixed(2)} | parse-only |`,
    );
  }
  console.log(
    `| **end to end, embedded, via API** | ${Math.round(e2e.rowsPerSec)} | ${e2e.mbPerSec.toFixed(1)} | ${e2e.seconds.toFixed(2)} | upload ${e2e.uploadSeconds.toFixed(2)} s; ${(ratio * 100).toFixed(0)}% of ${fastestParse.parser} |`,
  );
  console.log(
    `\nserver RSS: baseline ${e2e.baselineRssMb.toFixed(0)} MB, peak ${e2e.peakRssMb.toFixed(0)} MB, growth ${e2e.rssGrowthMb.toFixed(0)} MB` +
      `; findings: ${e2e.rows} imported = ${plan.rows} rows; ${e2e.findingsQueryable} open in the overview (${plan.byStatus.Fixed} rows are Fixed)`,
  );
  if (e2e.rows !== plan.rows || e2e.findingsQueryable !== plan.rows - plan.byStatus.Fixed) {
    throw new Error('finding counts do not match the generated report');
  }
}

const args = process.argv.slice(2);
if (args[0] === '--ceiling') {
  const run = CEILINGS[args[1]!];
  if (!run) throw new Error(`unknown ceiling ${args[1]}`);
  process.stdout.write(JSON.stringify(await run(args[2]!)));
  process.exit(0);
}
const sizes = args.flatMap((a, i) => (a === '--size' ? [args[i + 1]!] : []));
const seedIndex = args.indexOf('--seed');
const seed = seedIndex >= 0 ? Number(args[seedIndex + 1]) : 1;
for (const size of sizes.length > 0 ? sizes : ['100MB']) await benchSize(size, seed);
