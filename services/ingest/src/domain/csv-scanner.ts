const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** What `next` found at a position of the bytes. */
export type ScanStep =
  /** A whole record ends at `end` (after its line break): its fields are in `starts`/`ends`/`escaped`. */
  | { kind: 'record'; end: number }
  /** The bytes end inside a record: call again with more bytes (or with `final` at the end of the file). */
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string };

const INCOMPLETE: ScanStep = { kind: 'incomplete' };
const TEXT_AFTER_QUOTE: ScanStep = {
  kind: 'invalid',
  reason: 'text after the closing quote of a field (a quote not doubled?)',
};

/**
 * Finds the records and fields of CSV bytes without decoding them (RFC 4180: fields may be quoted,
 * a quoted field may hold delimiters, line breaks and doubled quotes). Works on any ASCII-compatible
 * encoding: the reader decodes only the fields it needs, which is why q2h does not use a string parser
 * here (see ADR 0003). Records end with CRLF or LF, as the file's first line does; a quoted field is
 * found with `indexOf` (memchr), so long texts cost little.
 */
export class CsvScanner {
  /** Field bounds of the last record found: bytes [starts[i], ends[i]). */
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  /** 1 when the field holds doubled quotes to undo. */
  escaped = new Uint8Array(64);
  /** Fields in the last record found. */
  count = 0;

  constructor(
    private readonly delimiter: number,
    /** true: records end with CRLF, and a lone LF is text; false: records end with LF. */
    private readonly crlf: boolean,
  ) {}

  /** The record starting at `from`; `final` says the bytes end with the file. */
  next(
    buf: Uint8Array & { indexOf(byte: number, from: number): number },
    from: number,
    final: boolean,
  ): ScanStep {
    const len = buf.length;
    const delimiter = this.delimiter;
    let p = from;
    this.count = 0;
    for (;;) {
      let start: number;
      let end: number;
      let escaped = 0;
      if (buf[p] === QUOTE) {
        start = p + 1;
        let at = start;
        for (;;) {
          const quote = buf.indexOf(QUOTE, at);
          if (quote === -1) {
            return final
              ? { kind: 'invalid', reason: 'quoted field never closed (file truncated?)' }
              : INCOMPLETE;
          }
          if (quote + 1 >= len && !final) return INCOMPLETE; // a doubled quote may be cut in two
          if (buf[quote + 1] === QUOTE) {
            escaped = 1;
            at = quote + 2;
            continue;
          }
          end = quote;
          break;
        }
        p = end + 1;
        while (p < len && (buf[p] === SPACE || buf[p] === TAB) && buf[p] !== delimiter) p++;
        const after = buf[p];
        if (p < len && after !== delimiter && after !== LF && after !== CR) return TEXT_AFTER_QUOTE;
      } else {
        start = p;
        while (p < len) {
          const byte = buf[p];
          if (byte === delimiter || (byte === LF && !this.crlf)) break;
          if (byte === CR) {
            if (p + 1 >= len && !final) return INCOMPLETE; // CRLF cut in two
            if (buf[p + 1] === LF) break;
          }
          p++;
        }
        end = p;
      }
      this.push(start, end, escaped);
      if (p >= len) return final ? { kind: 'record', end: len } : INCOMPLETE;
      const byte = buf[p];
      if (byte === delimiter) {
        p++;
        continue;
      }
      if (byte === LF && !this.crlf) return { kind: 'record', end: p + 1 };
      if (byte === CR) {
        if (p + 1 >= len) return final ? { kind: 'record', end: len } : INCOMPLETE;
        if (buf[p + 1] === LF) return { kind: 'record', end: p + 2 };
      }
      // Only after a quoted field: a lone CR, or a lone LF in a file whose records end with CRLF.
      return TEXT_AFTER_QUOTE;
    }
  }

  private push(start: number, end: number, escaped: number): void {
    const n = this.count;
    if (n === this.starts.length) {
      this.starts = grown(this.starts, new Int32Array(n * 2));
      this.ends = grown(this.ends, new Int32Array(n * 2));
      this.escaped = grown(this.escaped, new Uint8Array(n * 2));
    }
    this.starts[n] = start;
    this.ends[n] = end;
    this.escaped[n] = escaped;
    this.count = n + 1;
  }
}

function grown<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
