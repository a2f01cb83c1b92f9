/**
 * Parse-only ceiling of streaming CSV parsing in Node over one Scan Report file: no mapping, no storage,
 * records are only counted. Every function streams the file (constant memory).
 *
 * rows = every CSV record in the file, preamble included, blank lines excluded (both parsers are set to
 * skip empty lines so that they agree); detailRows = records after the header "IP","DNS","NetBIOS",…
 *
 * CLI: node --import tsx bench/src/parse-ceiling.ts bench/out/report-100mb.csv [--repeat 3] [--all] [--only papaparse]
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { readCsvRecords } from '@q2h/ingest/csv-records';
import { parse as csvParse } from 'csv-parse';
import Papa from 'papaparse';

export interface CeilingResult {
  /** Parser and configuration, e.g. "papaparse feed 1MiB". */
  parser: string;
  /** CSV records (blank lines excluded); 0 for the plain reads. */
  rows: number;
  /** Records of the detail table (after its header); 0 for the plain reads. */
  detailRows: number;
  bytes: number;
  seconds: number;
  /** CPU time (user + system) of this process during the run; far below `seconds` means waiting (disk, or other processes on the CPUs). */
  cpuSeconds: number;
  rowsPerSec: number;
  /** MiB (2^20 bytes) of file per second. */
  mbPerSec: number;
}

export interface CeilingOptions {
  /** Read chunk size (fs highWaterMark) in bytes. Default 1 MiB. */
  chunkBytes?: number;
}

export type CsvParseConsumer = 'data' | 'readable' | 'asyncIterator';
export type PapaMode = 'feed' | 'chunk' | 'step' | 'duplex';

const KiB = 1024;
const MiB = 1 << 20;
const DEFAULT_CHUNK = MiB;
/**
 * Decoded-string chunk size. V8 allocates strings over 128 KiB (64 Ki chars once a chunk holds one
 * non-Latin-1 character, e.g. ’) in large-object space, which made every string-based configuration
 * ~4x slower on the bench VM; 48 KiB reads keep chunk + carried-over partial row under that.
 */
export const STRING_CHUNK = 48 * KiB;

/** Counts records and detail records from a stream of parsed records. */
class RecordCounter {
  rows = 0;
  detailRows = 0;
  private inDetail = false;

  add(record: readonly string[]): void {
    this.rows++;
    if (this.inDetail) this.detailRows++;
    else if (record[0] === 'IP' && record[1] === 'DNS' && record[2] === 'NetBIOS') this.inDetail = true;
  }

  /** For parsers that cannot skip blank lines themselves. */
  addUnlessEmpty(record: readonly string[]): void {
    if (record.length === 1 && record[0] === '') return;
    this.add(record);
  }
}

function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB}MiB` : `${bytes / 1024}KiB`;
}

interface Start {
  t0: number;
  cpu: NodeJS.CpuUsage;
}

function start(): Start {
  return { t0: performance.now(), cpu: process.cpuUsage() };
}

function result(parser: string, counter: RecordCounter | null, bytes: number, t: Start): CeilingResult {
  const seconds = (performance.now() - t.t0) / 1000;
  const cpu = process.cpuUsage(t.cpu);
  const rows = counter?.rows ?? 0;
  return {
    parser,
    rows,
    detailRows: counter?.detailRows ?? 0,
    bytes,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rowsPerSec: rows / seconds,
    mbPerSec: bytes / MiB / seconds,
  };
}

/** (c) Disk ceiling: read the file as Buffers, nothing else. */
export async function readCeiling(file: string, opts: CeilingOptions = {}): Promise<CeilingResult> {
  const chunk = opts.chunkBytes ?? DEFAULT_CHUNK;
  const t0 = start();
  let bytes = 0;
  for await (const buf of createReadStream(file, { highWaterMark: chunk })) bytes += (buf as Buffer).length;
  return result(`read ${sizeLabel(chunk)}`, null, bytes, t0);
}

/** Read + streaming UTF-8 decode to strings (what papaparse needs before it can start). */
export async function decodeCeiling(file: string, opts: CeilingOptions = {}): Promise<CeilingResult> {
  const chunk = opts.chunkBytes ?? STRING_CHUNK;
  const { size } = await stat(file);
  const t0 = start();
  let chars = 0;
  for await (const s of createReadStream(file, { highWaterMark: chunk, encoding: 'utf8' })) {
    chars += (s as string).length;
  }
  if (chars === 0 && size > 0) throw new Error('decode read nothing');
  return result(`read+utf8 decode ${sizeLabel(chunk)}`, null, size, t0);
}

/**
 * (a) csv-parse streaming over raw Buffers (it decodes fields itself). relax_column_count because the
 * preamble tables have differing column counts; skip_empty_lines for the preamble's blank lines.
 */
export async function csvParseCeiling(
  file: string,
  opts: CeilingOptions & { consumer?: CsvParseConsumer } = {},
): Promise<CeilingResult> {
  const chunk = opts.chunkBytes ?? 64 * KiB;
  const consumer = opts.consumer ?? 'data';
  const { size } = await stat(file);
  const counter = new RecordCounter();
  const t0 = start();
  const parser = csvParse({ relax_column_count: true, skip_empty_lines: true });
  const input = createReadStream(file, { highWaterMark: chunk });
  if (consumer === 'asyncIterator') {
    input.pipe(parser);
    input.on('error', (err) => parser.destroy(err));
    for await (const rec of parser) counter.add(rec as string[]);
  } else if (consumer === 'readable') {
    parser.on('readable', () => {
      let rec: string[] | null;
      // biome-ignore lint/suspicious/noAssignInExpressions: the documented csv-parse read loop
      while ((rec = parser.read() as string[] | null) !== null) counter.add(rec);
    });
    await pipeline(input, parser);
  } else {
    parser.on('data', (rec: string[]) => counter.add(rec));
    await pipeline(input, parser);
  }
  return result(`csv-parse ${consumer} ${sizeLabel(chunk)}`, counter, size, t0);
}

const PAPA_BASE = {
  delimiter: ',',
  newline: '\r\n',
  quoteChar: '"',
  header: false,
  skipEmptyLines: true,
  dynamicTyping: false,
} as const;

/**
 * (b) papaparse streaming over a decoded string stream (createReadStream with encoding 'utf8', whose
 * StringDecoder keeps multi-byte characters intact across chunk boundaries).
 *  - feed:   drive the low-level Papa.Parser ourselves: parse(partial + chunk, ignoreLastRow = true),
 *            keep the unfinished tail from meta.cursor (what Papa's own ChunkStreamer does, minus its
 *            per-chunk result bookkeeping);
 *  - chunk:  Papa.parse(readable, { chunk }) — one callback per decoded chunk with all its rows;
 *  - step:   Papa.parse(readable, { step }) — one callback per row;
 *  - duplex: readable.pipe(Papa.parse(Papa.NODE_STREAM_INPUT)) — rows out of a Duplex in object mode.
 * Delimiter and newline are given so papaparse does not guess them.
 */
export async function papaparseCeiling(
  file: string,
  opts: CeilingOptions & { mode?: PapaMode } = {},
): Promise<CeilingResult> {
  const chunk = opts.chunkBytes ?? STRING_CHUNK;
  const mode = opts.mode ?? 'feed';
  const { size } = await stat(file);
  const counter = new RecordCounter();
  const t0 = start();
  const input = createReadStream(file, { highWaterMark: chunk, encoding: 'utf8' });

  if (mode === 'feed') {
    const parser = new Papa.Parser({ ...PAPA_BASE });
    let partial = '';
    for await (const piece of input) {
      const text = partial + (piece as string);
      const res = parser.parse(text, 0, true) as Papa.ParseResult<string[]>;
      for (const rec of res.data) counter.addUnlessEmpty(rec);
      partial = text.substring(res.meta.cursor);
    }
    if (partial) {
      const res = parser.parse(partial, 0, false) as Papa.ParseResult<string[]>;
      for (const rec of res.data) counter.addUnlessEmpty(rec);
    }
  } else if (mode === 'chunk' || mode === 'step') {
    await new Promise<void>((resolvePromise, reject) => {
      input.on('error', reject);
      const config: Papa.ParseRemoteConfig<string[]> | Papa.ParseLocalConfig<string[], typeof input> = {
        ...PAPA_BASE,
        complete: () => resolvePromise(),
        error: (err: Error) => reject(err),
      };
      if (mode === 'chunk') {
        config.chunk = (res) => {
          for (const rec of res.data) counter.add(rec);
        };
      } else {
        config.step = (res) => counter.add(res.data);
      }
      Papa.parse(input, config as Papa.ParseLocalConfig<string[], typeof input>);
    });
  } else {
    const duplex = Papa.parse(Papa.NODE_STREAM_INPUT, { ...PAPA_BASE });
    const sink = new Writable({
      objectMode: true,
      highWaterMark: 1024,
      write(rec: string[], _enc, cb) {
        counter.add(rec);
        cb();
      },
    });
    await pipeline(input, duplex, sink);
  }
  return result(`papaparse ${mode} ${sizeLabel(chunk)}`, counter, size, t0);
}

/**
 * (d) q2h's own reader (services/ingest csv-records.ts): a byte scanner that finds fields with memchr,
 * here with every field decoded to a string, as a general CSV parser must. The import decodes fewer:
 * a QID's texts only on its first row (RepeatedColumns), which this ceiling does not get to skip.
 */
export async function q2hReaderCeiling(file: string): Promise<CeilingResult> {
  const { size } = await stat(file);
  const counter = new RecordCounter();
  const t0 = start();
  const read = await readCsvRecords(file, { encoding: 'utf-8' }, async (records) => {
    for (const record of records) counter.addUnlessEmpty(record.fields);
    return 'continue';
  });
  if (read.kind !== 'ok') throw new Error(`q2h reader: ${JSON.stringify(read)}`);
  return result('q2h reader, all fields', counter, size, t0);
}

export interface CeilingRun {
  label: string;
  run: (file: string) => Promise<CeilingResult>;
}

/** The default set: disk ceiling, decode ceiling, csv-parse, papaparse's streaming modes at their best chunk size. */
export function defaultRuns(): CeilingRun[] {
  return [
    { label: 'read', run: (f) => readCeiling(f) },
    { label: 'decode', run: (f) => decodeCeiling(f) },
    { label: 'csv-parse', run: (f) => csvParseCeiling(f, { consumer: 'data' }) },
    { label: 'papaparse feed', run: (f) => papaparseCeiling(f, { mode: 'feed' }) },
    { label: 'papaparse chunk', run: (f) => papaparseCeiling(f, { mode: 'chunk' }) },
    { label: 'papaparse step', run: (f) => papaparseCeiling(f, { mode: 'step' }) },
    { label: 'q2h reader', run: (f) => q2hReaderCeiling(f) },
  ];
}

/** Every configuration compared when looking for the fastest streaming setup. */
export function allRuns(): CeilingRun[] {
  const runs: CeilingRun[] = [{ label: 'read', run: (f) => readCeiling(f) }];
  for (const chunkBytes of [16 * KiB, 32 * KiB, 64 * KiB, MiB]) {
    runs.push({ label: 'decode', run: (f) => decodeCeiling(f, { chunkBytes }) });
  }
  for (const consumer of ['data', 'readable', 'asyncIterator'] as const) {
    for (const chunkBytes of [64 * KiB, MiB]) {
      runs.push({ label: `csv-parse ${consumer}`, run: (f) => csvParseCeiling(f, { consumer, chunkBytes }) });
    }
  }
  for (const mode of ['feed', 'chunk', 'step', 'duplex'] as const) {
    for (const chunkBytes of [16 * KiB, 32 * KiB, 48 * KiB, 64 * KiB, MiB]) {
      runs.push({ label: `papaparse ${mode}`, run: (f) => papaparseCeiling(f, { mode, chunkBytes }) });
    }
  }
  return runs;
}

/** Run each configuration `repeats` times (best time kept). */
export async function runParseCeiling(
  file: string,
  opts: { runs?: CeilingRun[]; repeats?: number; onResult?: (r: CeilingResult) => void } = {},
): Promise<CeilingResult[]> {
  const out: CeilingResult[] = [];
  for (const r of opts.runs ?? defaultRuns()) {
    let best: CeilingResult | undefined;
    for (let i = 0; i < (opts.repeats ?? 1); i++) {
      const res = await r.run(file);
      if (!best || res.seconds < best.seconds) best = res;
    }
    out.push(best!);
    opts.onResult?.(best!);
  }
  return out;
}

export function formatRow(r: CeilingResult): string {
  const num = (n: number): string => Math.round(n).toLocaleString('en-US');
  return [
    r.parser.padEnd(30),
    (r.rows ? num(r.rows) : '-').padStart(10),
    (r.rows ? num(r.detailRows) : '-').padStart(10),
    r.seconds.toFixed(2).padStart(8),
    r.cpuSeconds.toFixed(2).padStart(8),
    (r.rows ? num(r.rowsPerSec) : '-').padStart(12),
    r.mbPerSec.toFixed(1).padStart(9),
  ].join('  ');
}

export const TABLE_HEADER = [
  'parser'.padEnd(30),
  'rows'.padStart(10),
  'detail'.padStart(10),
  'seconds'.padStart(8),
  'cpu s'.padStart(8),
  'rows/s'.padStart(12),
  'MiB/s'.padStart(9),
].join('  ');

async function main(argv: string[]): Promise<void> {
  const file = argv.find(
    (a, i) => !a.startsWith('--') && !['--repeat', '--only'].includes(argv[i - 1] ?? ''),
  );
  if (!file) {
    console.error(
      'usage: node --import tsx bench/src/parse-ceiling.ts FILE.csv [--repeat N] [--all] [--only papaparse,csv-parse,read,decode]',
    );
    process.exit(2);
  }
  const repeatAt = argv.indexOf('--repeat');
  const repeats = repeatAt >= 0 ? Number(argv[repeatAt + 1] ?? 1) : 1;
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : [];
  const runs = (argv.includes('--all') ? allRuns() : defaultRuns()).filter(
    (r) => only.length === 0 || only.some((o) => r.label.startsWith(o)),
  );
  const { size } = await stat(file);
  console.log(`${file}: ${(size / MiB).toFixed(1)} MiB, best of ${repeats}, Node ${process.version}`);
  console.log(TABLE_HEADER);
  const results = await runParseCeiling(file, {
    runs,
    repeats,
    onResult: (r) => console.log(formatRow(r)),
  });
  const counts = new Set(results.filter((r) => r.rows > 0).map((r) => `${r.rows}/${r.detailRows}`));
  if (counts.size > 1) {
    console.error(`parsers disagree on record counts: ${[...counts].join(', ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
