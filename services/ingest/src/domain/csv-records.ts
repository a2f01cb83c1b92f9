import Papa from 'papaparse';
import { fileChunks } from './file-chunks.ts';
import { bomLength, decoderFor, type TextEncoding } from './text-encoding.ts';

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

interface PapaLowLevelParser {
  parse(
    input: string,
    baseIndex: number,
    ignoreLastRow: boolean,
  ): { data: string[][]; errors: { code: string; message: string; row: number }[]; meta: { cursor: number } };
}
const PapaParser = (Papa as unknown as { Parser: new (config: object) => PapaLowLevelParser }).Parser;

/**
 * 48 KiB reads. V8 puts strings over ~128 KiB in large-object space, which made parsing 1 MiB chunks
 * ~3x slower (measured 31–37 MB/s against 91–92 MB/s on the 100 MB generated report); 48 KiB keeps a
 * chunk plus its carried-over partial record under that limit.
 */
const CHUNK_BYTES = 48 * 1024;

/** A record (one detail row with its Results text) longer than this is refused, with its line. */
const MAX_RECORD_CHARS = 256 * 2 ** 20;

/**
 * Streams a CSV file as records with their line numbers, with backpressure: the next chunk is read
 * only after the handler's promise resolved. papaparse's low-level Parser (the fastest JS parser
 * measured, see ADR 0003) is fed decoded text; the unfinished last record is carried to the next chunk.
 */
export async function readCsvRecords(
  path: string,
  options: {
    encoding: TextEncoding;
    /** Default: detected from the first line (see detectDelimiter). */
    delimiter?: string;
    /** For a file still being uploaded: its size once known (see fileChunks). */
    finalSize?: () => number | undefined;
  },
  onRecords: RecordsHandler,
): Promise<CsvReadResult> {
  const decoder = decoderFor(options.encoding);
  const chunks = fileChunks(path, {
    start: bomLength(options.encoding),
    chunkBytes: CHUNK_BYTES,
    ...(options.finalSize ? { finalSize: options.finalSize } : {}),
  });
  let parser: PapaLowLevelParser | undefined;
  let carry = '';
  // Text read while one record is still open: parsed once it is as long as that record so far, so a
  // huge field costs linear time, not one re-parse of the whole record per 48 KiB chunk.
  let waiting = '';
  let line = 1;
  let records = 0;
  let bytes = bomLength(options.encoding);

  const parseText = async (chunk: string, final: boolean): Promise<CsvReadResult | 'continue'> => {
    waiting += chunk;
    if (!final && carry.length > CHUNK_BYTES && waiting.length < carry.length) {
      return (await onRecords([], bytes)) === 'stop' ? { kind: 'stopped', records, bytes } : 'continue';
    }
    if (carry.length + waiting.length > MAX_RECORD_CHARS) {
      return {
        kind: 'failed',
        line,
        reason: `a single record is longer than ${MAX_RECORD_CHARS >> 20} MiB: not a report row`,
      };
    }
    let text = waiting;
    waiting = '';
    // A chunk ending between the \r and \n of a CRLF would read as a quote followed by garbage.
    if (!final && text.endsWith('\r')) {
      text = text.slice(0, -1);
      waiting = '\r';
    }
    parser ??= new PapaParser({
      delimiter: options.delimiter ?? detectDelimiter(text),
      newline: text.includes('\r\n') ? '\r\n' : '\n',
      fastMode: false,
    });
    const input = carry + text;
    const result = parser.parse(input, 0, !final);
    carry = final ? '' : input.slice(result.meta.cursor);
    const batch: CsvRecord[] = new Array(result.data.length);
    const firstError = result.errors[0];
    for (let i = 0; i < result.data.length; i++) {
      const fields = result.data[i] as string[];
      batch[i] = { fields, line };
      if (firstError && firstError.row === i) {
        const reason =
          firstError.code === 'MissingQuotes'
            ? 'quoted field never closed (file truncated?)'
            : firstError.message;
        return { kind: 'failed', line, reason };
      }
      line += 1 + newlinesIn(fields);
    }
    if (firstError) return { kind: 'failed', line, reason: firstError.message };
    records += batch.length;
    return (await onRecords(batch, bytes)) === 'stop' ? { kind: 'stopped', records, bytes } : 'continue';
  };

  // Returning from the loop closes the generator, and with it the file.
  for await (const chunk of chunks) {
    bytes += chunk.length;
    const outcome = await parseText(decoder.write(chunk), false);
    if (outcome !== 'continue') return outcome;
  }
  const outcome = await parseText(decoder.end(), true);
  if (outcome !== 'continue') return outcome;
  return { kind: 'ok', records, lines: line - 1, bytes };
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

function newlinesIn(fields: string[]): number {
  let count = 0;
  for (const field of fields) {
    let at = field.indexOf('\n');
    while (at !== -1) {
      count++;
      at = field.indexOf('\n', at + 1);
    }
  }
  return count;
}
