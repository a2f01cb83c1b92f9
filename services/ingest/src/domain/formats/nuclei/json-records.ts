import type { EmittedFinding, RowResult } from '../../report-model.ts';
import { textChunks } from '../../text-chunks.ts';
import type { FindingsSink, ReadOutcome, ReportSource } from '../report-format.ts';

/** One JSON document of a report, as text, with the 1-based line it starts on. */
export interface JsonRecord {
  readonly text: string;
  readonly line: number;
}

export type Split =
  | { kind: 'records'; records: JsonRecord[] }
  | { kind: 'failed'; line: number; reason: string };

/** Cuts a report's decoded text, chunk by chunk, into its JSON documents. */
export interface JsonRecordSplitter {
  push(text: string): Split;
  /** After the last chunk: the document still open, or why the file ends too early. */
  end(): Split;
}

/**
 * JSON Lines: one document per line, blank lines skipped. A line longer than a chunk is joined once,
 * when its end arrives, so a 10 MB response field costs linear time.
 */
export class JsonLines implements JsonRecordSplitter {
  private line = 1;
  private pending: string[] = [];

  push(text: string): Split {
    const records: JsonRecord[] = [];
    let from = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', from)) {
      this.take(text.slice(from, at), records);
      from = at + 1;
    }
    if (from < text.length) this.pending.push(text.slice(from));
    return { kind: 'records', records };
  }

  end(): Split {
    const records: JsonRecord[] = [];
    if (this.pending.length > 0) this.take('', records);
    return { kind: 'records', records };
  }

  private take(piece: string, records: JsonRecord[]): void {
    const text = this.pending.length === 0 ? piece : this.pending.join('') + piece;
    this.pending = [];
    if (/\S/.test(text)) records.push({ text, line: this.line });
    this.line++;
  }
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Where the splitter is in `[ {…}, {…} ]`, outside the elements. */
type ArrayPosition = 'before-array' | 'first-element' | 'after-element' | 'next-element' | 'after-array';

/**
 * A JSON array of objects, pretty-printed or on one line: each element's text with the line its '{' is
 * on. Only brackets outside strings are counted to find an element's end; JSON.parse then checks the
 * element itself. Several times faster than a full streaming tokenizer (@streamparser/json: 20 MiB/s
 * on a pretty-printed Nuclei export), and it knows each element's line.
 */
export class JsonArrayElements implements JsonRecordSplitter {
  private line = 1;
  private position: ArrayPosition = 'before-array';
  /** Brackets open inside the current element; 0 between elements. */
  private depth = 0;
  private inString = false;
  /** The string being read ended the last chunk with an escaping backslash. */
  private escaped = false;
  private elementLine = 0;
  private pending: string[] = [];

  push(text: string): Split {
    const records: JsonRecord[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < text.length; i++) {
      if (this.inString) {
        // Strings are the bulk of a result (request, response): jump to their closing quote.
        const quote = this.closingQuote(text, i);
        if (quote < 0) break;
        this.inString = false;
        i = quote;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === NEWLINE) this.line++;
      if (this.depth > 0) {
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth++;
        else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --this.depth === 0) {
          const piece = text.slice(start, i + 1);
          const element = this.pending.length === 0 ? piece : this.pending.join('') + piece;
          records.push({ text: element, line: this.elementLine });
          this.pending = [];
          this.position = 'after-element';
        }
        continue;
      }
      if (c === SPACE || c === NEWLINE || c === RETURN || c === TAB) continue;
      const reason = this.between(c);
      if (reason) return { kind: 'failed', line: this.line, reason };
      if (this.depth > 0) start = i;
    }
    if (this.depth > 0) this.pending.push(text.slice(start));
    return { kind: 'records', records };
  }

  /**
   * The index of the quote that closes the string being read, from `from` on; -1 when the string goes
   * on into the next chunk (remembering whether that chunk starts escaped). A quote is escaped by an
   * odd run of backslashes before it. Line breaks inside strings are not counted: JSON has none there.
   */
  private closingQuote(text: string, from: number): number {
    let at = from;
    if (this.escaped && at < text.length) {
      this.escaped = false;
      at++;
    }
    for (;;) {
      const quote = text.indexOf('"', at);
      const end = quote < 0 ? text.length : quote;
      let backslashes = 0;
      while (end - backslashes > at && text.charCodeAt(end - backslashes - 1) === BACKSLASH) backslashes++;
      if (quote < 0) {
        this.escaped = backslashes % 2 === 1;
        return -1;
      }
      if (backslashes % 2 === 0) return quote;
      at = quote + 1;
    }
  }

  end(): Split {
    if (this.depth > 0) {
      return {
        kind: 'failed',
        line: this.elementLine,
        reason: 'the file ends inside this result: truncated?',
      };
    }
    if (this.position !== 'after-array') {
      return {
        kind: 'failed',
        line: this.line,
        reason: 'the JSON array is never closed with "]": truncated?',
      };
    }
    return { kind: 'records', records: [] };
  }

  /** A character outside the elements: moves through `[ {…}, {…} ]`, or says why it cannot be there. */
  private between(c: number): string | undefined {
    switch (this.position) {
      case 'before-array':
        if (c !== OPEN_ARRAY) return 'expected a JSON array ("[")';
        this.position = 'first-element';
        return undefined;
      case 'first-element':
        if (c !== CLOSE_ARRAY) return this.openElement(c, 'expected a result (a JSON object) in the array');
        this.position = 'after-array';
        return undefined;
      case 'next-element':
        return this.openElement(c, 'expected a result (a JSON object) after ","');
      case 'after-element':
        if (c === COMMA) this.position = 'next-element';
        else if (c === CLOSE_ARRAY) this.position = 'after-array';
        else return 'expected "," or "]" after a result';
        return undefined;
      case 'after-array':
        return 'unexpected text after the end of the JSON array';
    }
  }

  private openElement(c: number, reason: string): string | undefined {
    if (c !== OPEN_OBJECT) return reason;
    this.depth = 1;
    this.elementLine = this.line;
    return undefined;
  }
}

/**
 * Streams a JSON report: each document the splitter cuts out is parsed and mapped to a finding; the
 * first document that is not valid JSON or not a finding fails the read with its line.
 */
export async function readJsonRecords(
  source: ReportSource,
  splitter: JsonRecordSplitter,
  toFinding: (document: unknown, line: number) => RowResult,
  sink: FindingsSink,
): Promise<ReadOutcome> {
  let bytes = 0;
  for await (const { text, bytesDone } of textChunks(source)) {
    bytes = bytesDone;
    const read = findingsOf(splitter.push(text), toFinding);
    if (read.kind === 'failed') return read;
    if (read.findings.length > 0 && (await sink.accept(read.findings, bytesDone)) === 'stop') {
      return { kind: 'stopped' };
    }
  }
  const last = findingsOf(splitter.end(), toFinding);
  if (last.kind === 'failed') return last;
  if (last.findings.length > 0 && (await sink.accept(last.findings, bytes)) === 'stop') {
    return { kind: 'stopped' };
  }
  return { kind: 'ok', bytes, declared: null };
}

function findingsOf(
  split: Split,
  toFinding: (document: unknown, line: number) => RowResult,
): { kind: 'ok'; findings: EmittedFinding[] } | { kind: 'failed'; line: number; reason: string } {
  if (split.kind === 'failed') return split;
  const findings: EmittedFinding[] = [];
  for (const { text, line } of split.records) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return { kind: 'failed', line, reason: `not valid JSON: ${(error as Error).message}` };
    }
    const row = toFinding(document, line);
    if (row.kind === 'invalid') return { kind: 'failed', line, reason: row.reason };
    if (row.kind === 'finding') findings.push(row);
  }
  return { kind: 'ok', findings };
}
