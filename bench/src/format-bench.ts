/**
 * One run per other format family, each on a generated large file, against its own parse-only ceiling:
 *  - Nessus .nessus v2 XML and OpenVAS XML: saxes (the streaming parser q2h uses) over the file, elements
 *    counted and nothing else;
 *  - Nuclei JSON lines: the lines split and each JSON.parse'd, nothing else;
 * then end to end in embedded mode through the API (bench-harness.ts), counts checked against the
 * generator's.
 *
 *   node --import tsx bench/src/format-bench.ts [--size 200MB] [--only nessus,openvas,nuclei]
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SaxesParser } from 'saxes';
import { endToEnd, MiB } from './bench-harness.ts';
import { generateNessus } from './generate-nessus.ts';
import { generateNuclei } from './generate-nuclei.ts';
import { generateOpenvas } from './generate-openvas.ts';
import { parseSize } from './generate-scan-report.ts';

type Generate = (path: string, bytes: number, seed?: number) => Promise<{ findings: number; hosts: number }>;
const FAMILIES: Record<string, { extension: string; generate: Generate; ceiling: 'xml' | 'jsonl' }> = {
  nessus: { extension: 'nessus', generate: generateNessus, ceiling: 'xml' },
  openvas: { extension: 'xml', generate: generateOpenvas, ceiling: 'xml' },
  nuclei: { extension: 'jsonl', generate: generateNuclei, ceiling: 'jsonl' },
};

interface Ceiling {
  parser: string;
  records: number;
  seconds: number;
}

async function xmlCeiling(file: string): Promise<Ceiling> {
  const t0 = performance.now();
  const parser = new SaxesParser({ xmlns: false });
  let records = 0;
  parser.on('opentag', () => {
    records++;
  });
  for await (const text of createReadStream(file, { encoding: 'utf8', highWaterMark: 48 * 1024 })) {
    parser.write(text as string);
  }
  parser.close();
  return { parser: 'saxes, elements counted', records, seconds: (performance.now() - t0) / 1000 };
}

async function jsonlCeiling(file: string): Promise<Ceiling> {
  const t0 = performance.now();
  let records = 0;
  let carry = '';
  for await (const text of createReadStream(file, { encoding: 'utf8', highWaterMark: 48 * 1024 })) {
    const lines = (carry + (text as string)).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.trim() && JSON.parse(line)) records++;
  }
  if (carry.trim() && JSON.parse(carry)) records++;
  return { parser: 'split lines + JSON.parse', records, seconds: (performance.now() - t0) / 1000 };
}

/** In a fresh process, as for the CSV ceilings: a heap left by another run skews the next. */
function ceilingInFreshProcess(kind: 'xml' | 'jsonl', file: string): Promise<Ceiling> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--ceiling', kind, file],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Ceiling) : reject(new Error(`ceiling exited ${code}`)),
    );
  });
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '200MB' },
    only: { type: 'string', default: Object.keys(FAMILIES).join(',') },
    ceiling: { type: 'string' },
  },
  allowPositionals: true,
  args: process.argv.slice(2),
});

if (values.ceiling) {
  const file = process.argv.at(-1)!;
  process.stdout.write(
    JSON.stringify(values.ceiling === 'xml' ? await xmlCeiling(file) : await jsonlCeiling(file)),
  );
  process.exit(0);
}

console.log(
  '| format | file MiB | findings | parse-only ceiling | MiB/s | end to end MiB/s | rows/s | ratio | server RSS growth |',
);
console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|');
for (const family of values.only.split(',')) {
  const spec = FAMILIES[family];
  if (!spec) throw new Error(`unknown family ${family}`);
  const file = join(
    import.meta.dirname,
    '..',
    'out',
    `${family}-${values.size.toLowerCase()}.${spec.extension}`,
  );
  // The generator's counts are kept beside the file, so a second run does not generate again.
  const countsFile = `${file}.json`;
  if (!existsSync(countsFile)) {
    writeFileSync(countsFile, JSON.stringify(await spec.generate(file, parseSize(values.size), 1)));
  }
  const counts = JSON.parse(readFileSync(countsFile, 'utf8')) as { findings: number };
  const bytes = statSync(file).size;
  const ceiling = await ceilingInFreshProcess(spec.ceiling, file);
  const ceilingMbPerSec = bytes / MiB / ceiling.seconds;
  const e2e = await endToEnd([file], bytes);
  if (e2e.rows !== counts.findings)
    throw new Error(`${family}: ${e2e.rows} findings imported, generated ${counts.findings}`);
  console.log(
    `| ${family} | ${(bytes / MiB).toFixed(0)} | ${e2e.rows} | ${ceiling.parser} | ${ceilingMbPerSec.toFixed(1)} | ${e2e.mbPerSec.toFixed(1)} | ${Math.round(e2e.rowsPerSec)} | ${((e2e.mbPerSec / ceilingMbPerSec) * 100).toFixed(0)}% | ${e2e.rssGrowthMb.toFixed(0)} MB |`,
  );
}
