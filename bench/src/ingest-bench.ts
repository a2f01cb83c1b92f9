/**
 * Ingest benchmark, measured in one run on the same generated Scan Report:
 *  (a) the parse-only ceiling: the fastest streaming CSV parses in Node (papaparse, csv-parse) and a
 *      plain read of the file;
 *  (b) end to end in embedded mode through the real API: a q2h server in its own process, the upload
 *      from this process, until the import is done and every finding is queryable; rows/s, MB/s and
 *      the server's peak RSS (sampled from /proc every 100 ms) and its growth over the idle baseline.
 *
 * With --concurrent, two reports of the size (seeds n and n+1) are then imported at once.
 *
 *   node --import tsx bench/src/ingest-bench.ts --size 100MB [--size 1GB] [--seed 1] [--concurrent]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CEILINGS, ceilingInFreshProcess, endToEnd, freshPageMicros, MiB } from './bench-harness.ts';
import { generateScanReport, parseSize, planScanReport } from './generate-scan-report.ts';
import type { CeilingResult } from './parse-ceiling.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function generated(size: string, seed: number) {
  const targetBytes = parseSize(size);
  const file = join(root, 'bench', 'out', `report-${size.toLowerCase()}-seed${seed}.csv`);
  const plan = existsSync(file)
    ? planScanReport({ targetBytes, seed })
    : await generateScanReport({ targetBytes, seed, out: file });
  return { file, plan };
}

async function benchSize(size: string, seed: number, concurrent: boolean): Promise<void> {
  const { file, plan } = await generated(size, seed);
  console.log(
    `\n## ${size}: ${(plan.bytes / MiB).toFixed(0)} MiB, ${plan.rows} detail rows, ${plan.hosts} hosts, ${plan.qids} QIDs\n`,
  );

  const pageMicrosBefore = freshPageMicros();
  const ceilings: CeilingResult[] = [];
  for (const name of Object.keys(CEILINGS)) ceilings.push(await ceilingInFreshProcess(name, file));
  const e2e = await endToEnd([file], plan.bytes);
  const pageMicrosAfter = freshPageMicros();
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
    `\nserver RSS: baseline ${e2e.baselineRssMb.toFixed(0)} MB, peak ${e2e.peakRssMb.toFixed(0)} MB, growth ${e2e.rssGrowthMb.toFixed(0)} MB (anonymous memory: ${e2e.anonGrowthMb.toFixed(0)} MB)` +
      `; findings: ${e2e.rows} imported = ${plan.rows} rows; ${e2e.findingsQueryable} open in the overview (${plan.byStatus.Fixed} rows are Fixed)`,
  );
  console.log(
    `overview API during the import: p50 ${e2e.overviewMs.p50.toFixed(0)} ms, p95 ${e2e.overviewMs.p95.toFixed(0)} ms, max ${e2e.overviewMs.max.toFixed(0)} ms (${e2e.overviewMs.samples} requests)`,
  );
  console.log(
    `machine: a fresh 4 KiB page of memory cost ${pageMicrosBefore.toFixed(1)} µs to touch before the ceilings, ${pageMicrosAfter.toFixed(1)} µs after the end-to-end run`,
  );
  if (e2e.rows !== plan.rows || e2e.findingsQueryable !== plan.rows - plan.byStatus.Fixed) {
    throw new Error('finding counts do not match the generated report');
  }
  if (!concurrent) return;

  const second = await generated(size, seed + 1);
  const both = await endToEnd([file, second.file], plan.bytes + second.plan.bytes);
  console.log(
    `\ntwo imports at once (seeds ${seed} and ${seed + 1}): ${(both.bytes / MiB).toFixed(0)} MiB in ${both.seconds.toFixed(2)} s = ${both.mbPerSec.toFixed(1)} MiB/s, ${Math.round(both.rowsPerSec)} rows/s;` +
      ` RSS growth ${both.rssGrowthMb.toFixed(0)} MB (anonymous ${both.anonGrowthMb.toFixed(0)} MB); overview p95 ${both.overviewMs.p95.toFixed(0)} ms (max ${both.overviewMs.max.toFixed(0)} ms)`,
  );
  if (both.rows !== plan.rows + second.plan.rows)
    throw new Error('two imports at once: finding counts differ');
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
const concurrent = args.includes('--concurrent');
for (const size of sizes.length > 0 ? sizes : ['100MB']) await benchSize(size, seed, concurrent);
