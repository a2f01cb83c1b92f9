/**
 * What the ingest benchmarks share: a q2h server in its own process, uploads with curl, waiting for
 * an import, the server's RSS from /proc, and parse-only ceilings each in a fresh process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CeilingResult,
  csvParseCeiling,
  papaparseCeiling,
  q2hReaderCeiling,
  readCeiling,
} from './parse-ceiling.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const MiB = 2 ** 20;
const ADMIN_PASSWORD = 'bench-admin-password';

export interface EndToEnd {
  rows: number;
  bytes: number;
  uploadSeconds: number;
  seconds: number;
  rowsPerSec: number;
  mbPerSec: number;
  baselineRssMb: number;
  peakRssMb: number;
  rssGrowthMb: number;
  /**
   * Growth of the anonymous part alone (heaps, buffers). The rest is file pages mapped into the
   * process, which the kernel may drop at any time: chDB's code, and the event log's LMDB index.
   */
  anonGrowthMb: number;
  findingsQueryable: number;
  /** Latency of GET /api/overview, sampled every 250 ms while the import ran (ms). */
  overviewMs: { p50: number; p95: number; max: number; samples: number };
}

/**
 * What first touching fresh memory costs on this machine now, in µs per 4 KiB page: 256 MiB filled
 * twice, the first fill's extra time over the second's is the page faults. The end-to-end run takes
 * hundreds of thousands of them (a worker's heap, chDB's buffers, V8's promotions), the one-thread
 * parse-only ceiling few: on a VM where a fault costs 10+ µs, their ratio falls with it.
 */
export function freshPageMicros(): number {
  const bytes = 256 * MiB;
  const memory = Buffer.allocUnsafeSlow(bytes); // mapped, not yet touched
  let start = performance.now();
  memory.fill(1);
  const first = performance.now() - start;
  start = performance.now();
  memory.fill(2);
  const again = performance.now() - start;
  return ((first - again) * 1000) / (bytes / 4096);
}

/** Resident memory of a process (MB): all of it, and its anonymous part (heaps, not mapped files). */
export function rssMb(pid: number, kind: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${kind}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  // Below Linux's ephemeral range (32768–60999), where a port may be taken by any outgoing connection.
  const port = 20000 + Math.floor(Math.random() * 12000);
  // BENCH_SERVER_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under load.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'services/auth-gateway/src/main.ts'],
    {
      cwd: root,
      env: {
        // As `npm start` runs it: two malloc arenas, not one per thread (see the README).
        MALLOC_ARENA_MAX: '2',
        ...process.env,
        Q2H_PORT: String(port),
        Q2H_HOST: '127.0.0.1',
        Q2H_DATA_DIR: dataDir,
        Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
        Q2H_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // The last of its log (JSON lines on stdout), to say why it did not start.
  let logTail = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    logTail = (logTail + chunk.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && exited === undefined; i++) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { child, url };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  const how = exited === undefined ? 'did not become ready in 120 s' : `exited with ${exited}`;
  throw new Error(`q2h ${how} on port ${port}; its last log lines:\n${logTail}`);
}

/**
 * curl, as an operator's script would upload: native, so the client takes little of the shared CPUs.
 * The file goes as the request's body (`curl -T`); BENCH_UPLOAD=multipart sends it as `-F file=@…`.
 */
export function uploadWithCurl(url: string, file: string, token: string): Promise<string> {
  const body =
    process.env.BENCH_UPLOAD === 'multipart'
      ? ['-F', `file=@${file}`, url]
      : ['-X', 'POST', '-T', file, `${url}?filename=${encodeURIComponent(basename(file))}`];
  return new Promise((resolve, reject) => {
    const curl = spawn('curl', ['-sS', '-H', `authorization: Bearer ${token}`, ...body]);
    let out = '';
    curl.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    curl.on('error', reject);
    curl.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited with ${code}`))));
  });
}

/**
 * Uploads the files at once (curl each) to a fresh embedded q2h and waits until every import is done;
 * meanwhile the overview is requested every 250 ms, as a dashboard user would.
 */
export async function endToEnd(files: readonly string[], bytes: number): Promise<EndToEnd> {
  // The first start of a data directory runs PGlite's initdb, whose ~390 MB of memory become garbage
  // that V8 frees at a random moment: measured from that baseline, RSS peaks varied by ~250 MB between
  // identical runs. A server restarted on its data directory is what runs in steady state.
  const dataDir = mkdtempSync(join(tmpdir(), 'q2h-bench-'));
  const first = await startServer(dataDir);
  first.child.kill('SIGTERM');
  await new Promise((r) => first.child.once('exit', r));
  const { child, url } = await startServer(dataDir);
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
    const baselineAnonMb = rssMb(pid, 'RssAnon');
    let peakRssMb = baselineRssMb;
    let peakAnonMb = baselineAnonMb;
    const sampler = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, rssMb(pid));
      peakAnonMb = Math.max(peakAnonMb, rssMb(pid, 'RssAnon'));
    }, 100);
    const latencies: number[] = [];
    let importing = true;
    const dashboard = (async () => {
      while (importing) {
        const start = performance.now();
        await (await fetch(`${url}/api/overview`, { headers: auth })).arrayBuffer();
        latencies.push(performance.now() - start);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();

    const t0 = performance.now();
    let uploadSeconds = 0;
    const views = await Promise.all(
      files.map(async (file) => {
        const { id } = JSON.parse(await uploadWithCurl(`${url}/api/imports`, file, token)) as { id: string };
        uploadSeconds = Math.max(uploadSeconds, (performance.now() - t0) / 1000);
        return waitForImport(url, id, token);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    importing = false;
    await dashboard;
    clearInterval(sampler);
    const failed = views.find((v) => v.status !== 'done');
    if (failed) throw new Error(`import failed: ${JSON.stringify(failed.error)}`);
    const overview = (await (await fetch(`${url}/api/overview`, { headers: auth })).json()) as {
      findings: number;
    };
    const rows = views.reduce((sum, v) => sum + v.findings, 0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      rows,
      bytes,
      uploadSeconds,
      seconds,
      rowsPerSec: rows / seconds,
      mbPerSec: bytes / MiB / seconds,
      baselineRssMb,
      peakRssMb,
      rssGrowthMb: peakRssMb - baselineRssMb,
      anonGrowthMb: peakAnonMb - baselineAnonMb,
      findingsQueryable: overview.findings,
      overviewMs: { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0, samples: sorted.length },
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const CEILINGS: Record<string, (file: string) => Promise<CeilingResult>> = {
  read: (f) => readCeiling(f),
  'csv-parse': (f) => csvParseCeiling(f),
  'papaparse-feed': (f) => papaparseCeiling(f, { mode: 'feed' }),
  'papaparse-chunk': (f) => papaparseCeiling(f, { mode: 'chunk' }),
  'q2h-reader': (f) => q2hReaderCeiling(f),
};

/**
 * Each ceiling in its own process: measured in one process after another parser, papaparse ran 4×
 * slower (62 against 246 MiB/s on 1 GiB) — the heap left behind skews the next run.
 */
export function ceilingInFreshProcess(name: string, file: string): Promise<CeilingResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./ingest-bench.ts', import.meta.url)),
        '--ceiling',
        name,
        file,
      ],
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

export interface ImportView {
  status: string;
  findings: number;
  error?: unknown;
}

/** Polls the import every 100 ms until it is done or failed. */
export async function waitForImport(url: string, id: string, token: string): Promise<ImportView> {
  for (;;) {
    const response = await fetch(`${url}/api/imports/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const view = (await response.json()) as ImportView;
    if (view.status === 'done' || view.status === 'failed') return view;
    await new Promise((r) => setTimeout(r, 100));
  }
}
