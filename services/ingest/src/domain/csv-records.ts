import { CsvScanner } from './csv-scanner.ts';
import { fileChunks } from './file-chunks.ts';
import { bomLength, decoderFor, type TextEncoding } from './text-encoding.ts';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export interface CsvRecord {
  readonly fields: string[];
  /** 1-based line of the file where the record starts. */
  readonly line: number;
}

export type CsvReadResult =
  | { kind: 'ok'; records: number; lines: number; bytes: number }
  | { kind: 'failed'; line: number; reason: string }
  | { kind: 'stopped'; records: number; bytes: number };

/** Called for each parsed chunk of records; return 'stop' to end reading early (the rest is not read). */
export type RecordsHandler = (
  records: readonly CsvRecord[],
  bytesDone: number,
) => Promise<'continue' | 'stop'>;

/**
 * Columns whose text repeats with the value of a key column (Qualys: a QID's Threat, Impact, Solution
 * on each of its rows). They are decoded in the first record of each key value only, and read as ''
 * in the others: 85 % of a Scan Report's bytes are never turned into strings. Columns the reader has
 * no use for are never decoded.
 */
export interface RepeatedColumns {
  readonly key: number;
  /** By column: true for those to skip in a record whose key was seen before. */
  readonly skip: readonly boolean[];
  /** By column: true for those the reader never uses, read as '' in every record. */
  readonly unused: readonly boolean[];
}

export function repeatedColumns(
  key: number,
  columns: readonly number[],
  unused: readonly number[] = [],
): RepeatedColumns {
  const mark = (positions: readonly number[]) => {
    const marks = new Array<boolean>(Math.max(-1, ...positions) + 1).fill(false);
    for (const at of positions) if (at >= 0) marks[at] = true;
    return marks;
  };
  return { key, skip: mark(columns), unused: mark(unused) };
}

/** 1 MiB reads: the scanner works on bytes, so chunks need not stay under V8's large-string size. */
const CHUNK_BYTES = 1 << 20;

/** A record (one detail row with its Results text) longer than this is refused, with its line. */
const MAX_RECORD_BYTES = 256 * 2 ** 20;

/**
 * Streams a CSV file as records with their line numbers, with backpressure: the next chunk is read
 * only after the handler's promise resolved. The scanner finds fields in the bytes; fields are decoded
 * one by one (see RepeatedColumns); the unfinished last record is carried to the next chunk. A file in
 * UTF-16 or Windows-1252 is turned into UTF-8 chunk by chunk first.
 */
export async function readCsvRecords(
  path: string,
  options: {
    encoding: TextEncoding;
    /** Default: detected from the first line (see detectDelimiter). */
    delimiter?: string;
    /** For a file still being uploaded: its size once known (see fileChunks). */
    finalSize?: () => number | undefined;
    /** Asked before each record: columns that need not be decoded again (known once the header is read). */
    repeated?: () => RepeatedColumns | undefined;
    /** Bytes per read; tests make it small to cut records anywhere. */
    chunkBytes?: number;
  },
  onRecords: RecordsHandler,
): Promise<CsvReadResult> {
  const toUtf8 = utf8Transcoder(options.encoding);
  let scanner: CsvScanner | undefined;
  const seenKeys = new Set<string>();
  let carry: Buffer | undefined;
  const joined = new JoinBuffers(2 * CHUNK_BYTES);
  // Bytes read while one record is still open: scanned again only once they are as long as that
  // record so far, so a huge field costs linear time, not one re-scan of the record per chunk.
  let waiting: Buffer[] = [];
  let waitingBytes = 0;
  let line = 1;
  let records = 0;
  let bytes = bomLength(options.encoding);

  const scan = async (chunk: Buffer, final: boolean): Promise<CsvReadResult | 'continue'> => {
    waiting.push(chunk);
    waitingBytes += chunk.length;
    const carried = carry?.length ?? 0;
    if (!final && carried > CHUNK_BYTES && waitingBytes < carried) {
      waiting[waiting.length - 1] = Buffer.from(chunk); // kept past the next read, which reuses its buffer
      return (await onRecords([], bytes)) === 'stop' ? { kind: 'stopped', records, bytes } : 'continue';
    }
    if (carried + waitingBytes > MAX_RECORD_BYTES) {
      return {
        kind: 'failed',
        line,
        reason: `a single record is longer than ${MAX_RECORD_BYTES >> 20} MiB: not a report row`,
      };
    }
    const buf = carry
      ? joined.join([carry, ...waiting])
      : waiting.length === 1
        ? chunk
        : Buffer.concat(waiting);
    waiting = [];
    waitingBytes = 0;
    if (!scanner && !final && buf.indexOf(LF) === -1) {
      carry = Buffer.from(buf); // the delimiter and line break are read from a whole first line
      return (await onRecords([], bytes)) === 'stop' ? { kind: 'stopped', records, bytes } : 'continue';
    }
    scanner ??= scannerFor(buf, options.delimiter);
    const batch: CsvRecord[] = [];
    let at = 0;
    while (at < buf.length) {
      const step = scanner.next(buf, at, final);
      if (step.kind === 'incomplete') break;
      if (step.kind === 'invalid') return { kind: 'failed', line, reason: step.reason };
      batch.push({ fields: decodeFields(buf, scanner, options.repeated?.(), seenKeys), line });
      line += lineBreaksIn(buf, at, step.end);
      at = step.end;
    }
    // The unfinished record outlives the read buffer `chunk` views: copied unless `buf` is a copy already.
    carry = at >= buf.length ? undefined : buf === chunk ? Buffer.from(buf.subarray(at)) : buf.subarray(at);
    records += batch.length;
    return (await onRecords(batch, bytes)) === 'stop' ? { kind: 'stopped', records, bytes } : 'continue';
  };

  // Returning from the loop closes the generator, and with it the file.
  for await (const chunk of fileChunks(path, {
    start: bytes,
    chunkBytes: options.chunkBytes ?? CHUNK_BYTES,
    ...(options.finalSize ? { finalSize: options.finalSize } : {}),
  })) {
    bytes += chunk.length;
    const outcome = await scan(toUtf8.write(chunk), false);
    if (outcome !== 'continue') return outcome;
  }
  const outcome = await scan(toUtf8.end(), true);
  if (outcome !== 'continue') return outcome;
  return { kind: 'ok', records, lines: line - 1, bytes };
}

/**
 * Two buffers, reused in turn, that the carried record and the next chunk are joined in: the carry is a
 * view of the one joined last, so the join writes into the other. A fresh buffer per chunk (Buffer.concat)
 * cost the import worker ~0.4 s per GiB, mostly in page faults. Larger joins (a record longer than the
 * buffers) get a buffer of their own.
 */
class JoinBuffers {
  private readonly buffers: [Buffer, Buffer];
  private next = 0;

  constructor(readonly capacity: number) {
    this.buffers = [Buffer.allocUnsafeSlow(capacity), Buffer.allocUnsafeSlow(capacity)];
  }

  join(parts: readonly Buffer[]): Buffer {
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    if (length > this.capacity) return Buffer.concat(parts, length);
    const target = this.buffers[this.next] as Buffer;
    this.next = 1 - this.next;
    let at = 0;
    for (const part of parts) at += part.copy(target, at);
    return target.subarray(0, length);
  }
}

/** The delimiter and line break of the file, from its first bytes. */
function scannerFor(head: Buffer, delimiter: string | undefined): CsvScanner {
  const text = head.toString('utf8', 0, Math.min(head.length, 64 * 1024));
  return new CsvScanner((delimiter ?? detectDelimiter(text)).charCodeAt(0), firstRecordEndsWithCrlf(head));
}

/** Whether the first line break outside quotes is a CRLF (quoted text may hold either kind). */
function firstRecordEndsWithCrlf(head: Buffer): boolean {
  let quoted = false;
  for (let at = 0; at < head.length; at++) {
    const byte = head[at];
    if (byte === QUOTE) quoted = !quoted;
    else if (byte === LF && !quoted) return at > 0 && head[at - 1] === CR;
  }
  return false;
}

function decodeFields(
  buf: Buffer,
  scanner: CsvScanner,
  repeated: RepeatedColumns | undefined,
  seenKeys: Set<string>,
): string[] {
  const count = scanner.count;
  let skip: readonly boolean[] = [];
  const unused = repeated?.unused ?? [];
  if (repeated && repeated.key < count) {
    const key = fieldText(buf, scanner, repeated.key);
    if (seenKeys.has(key)) skip = repeated.skip;
    else seenKeys.add(key);
  }
  const fields: string[] = new Array(count);
  for (let i = 0; i < count; i++) fields[i] = skip[i] || unused[i] ? '' : fieldText(buf, scanner, i);
  return fields;
}

/**
 * Field `i` of the record the scanner found, as text. A module function, not a closure made per record:
 * tsx (esbuild's keepNames) names every function created at run time with a defineProperty, which cost
 * the import worker ~0.5 s per GiB across the per-record and per-row closures.
 */
function fieldText(buf: Buffer, scanner: CsvScanner, i: number): string {
  const text = buf.toString('utf8', scanner.starts[i], scanner.ends[i]);
  return scanner.escaped[i] ? text.replaceAll('""', '"') : text;
}

/** Line feeds in bytes [from, to): a record's line breaks, its own and those inside its fields. */
function lineBreaksIn(buf: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = buf.indexOf(LF, from); at !== -1 && at < to; at = buf.indexOf(LF, at + 1)) count++;
  return count;
}

/** UTF-8 passes through; other encodings are decoded and re-encoded (a character cut by a chunk is carried). */
function utf8Transcoder(encoding: TextEncoding): { write(chunk: Buffer): Buffer; end(): Buffer } {
  if (encoding === 'utf-8' || encoding === 'utf-8-bom')
    return { write: (chunk) => chunk, end: () => Buffer.alloc(0) };
  const decoder = decoderFor(encoding);
  return { write: (chunk) => Buffer.from(decoder.write(chunk)), end: () => Buffer.from(decoder.end()) };
}

/**
 * Comma, or semicolon / tab when the first line holds more of those (Excel exports in European locales
 * write semicolons). Quoted text is left out of the count.
 */
export function detectDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const firstLine = (end === -1 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '');
  const count = (c: string) => firstLine.split(c).length - 1;
  const [best] = [',', ';', '\t'].sort((a, b) => count(b) - count(a));
  return best && count(best) > 0 ? best : ',';
}
