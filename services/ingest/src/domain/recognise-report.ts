import Papa from 'papaparse';
import { archiveKindOf } from './archive/archive-kind.ts';
import { detectDelimiter } from './csv-records.ts';
import { formatRecognising, reportFormats } from './formats/index.ts';
import { bomLength, decoderFor, detectEncoding, type TextEncoding } from './text-encoding.ts';

export type Recognition =
  | { kind: 'ok'; dialect: string; encoding: TextEncoding }
  | {
      kind: 'rejected';
      slug:
        | 'empty-file'
        | 'binary-file'
        | 'unsupported-archive'
        | 'xml-entities'
        | 'unsupported-delimiter'
        | 'unknown-dialect';
      reason: string;
    };

/** How much of a file recogniseReport looks at. */
export const REPORT_HEAD_BYTES = 64 * 1024;

/** Decides from the first bytes of a file (up to REPORT_HEAD_BYTES) whether q2h can read it, and how. */
export function recogniseReport(head: Buffer): Recognition {
  if (head.length === 0 || head.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    return { kind: 'rejected', slug: 'empty-file', reason: 'the file is empty' };
  }
  // gzip and zip are opened before recognition (see archive/); any other archive is named.
  const archive = archiveKindOf(head);
  if (archive?.kind === 'unsupported') {
    return {
      kind: 'rejected',
      slug: 'unsupported-archive',
      reason: `the file is a ${archive.name} archive: q2h reads a report as it is, gzipped (.gz) or zipped (.zip)`,
    };
  }
  const encoding = detectEncoding(head);
  if (!encoding.startsWith('utf-16') && head.includes(0)) {
    return {
      kind: 'rejected',
      slug: 'binary-file',
      reason: 'the file holds binary data, not a scanner report',
    };
  }
  const text = decoderFor(encoding).write(head.subarray(bomLength(encoding)));
  if (declaresXmlEntities(text)) {
    // The XML reader refuses them too (xml-stream.ts); refusing here publishes nothing at all.
    return {
      kind: 'rejected',
      slug: 'xml-entities',
      reason: 'the XML declares entities (DTD): refused, never expanded',
    };
  }
  const records = Papa.parse<string[]>(text, { preview: 30, delimiter: detectDelimiter(text) }).data;
  const format = formatRecognising({ text, records });
  if (!format) {
    const shown = text.trimStart().split(/\r?\n/, 1)[0]?.slice(0, 80) ?? '';
    const delimiter = otherDelimiterOf(text);
    if (delimiter) {
      return {
        kind: 'rejected',
        slug: 'unsupported-delimiter',
        reason: `its first line (${JSON.stringify(shown)}) is separated by ${JSON.stringify(delimiter)}: q2h reads CSV separated by commas, semicolons or tabs`,
      };
    }
    return {
      kind: 'rejected',
      slug: 'unknown-dialect',
      reason: `not a recognised scanner report: its first line (${JSON.stringify(shown)}) matches none of the ${reportFormats.length} formats q2h reads (exports of Qualys, Nessus/Tenable, OpenVAS/Greenbone, Nuclei and nmap; see docs/formats)`,
    };
  }
  return { kind: 'ok', dialect: format.dialect, encoding };
}

/**
 * Entity declarations in the DOCTYPE's internal subset: external entities (XXE) or nested ones (billion
 * laughs). Only the prolog is looked at: a report quoting "<!ENTITY" in a CDATA section (an XXE finding)
 * is fine. Scans with indexOf, not one regular expression, so a long prolog cannot make it backtrack.
 */
function declaresXmlEntities(text: string): boolean {
  let rest = text.trimStart();
  for (;;) {
    const close = rest.startsWith('<?') ? '?>' : rest.startsWith('<!--') ? '-->' : undefined;
    if (!close) break;
    const end = rest.indexOf(close);
    if (end === -1) return false;
    rest = rest.slice(end + close.length).trimStart();
  }
  if (!rest.startsWith('<!DOCTYPE')) return false;
  const open = rest.search(/[[>]/);
  if (open === -1 || rest[open] !== '[') return false;
  const subset = rest.slice(open + 1);
  const end = subset.search(/\]\s*>/);
  return /<!ENTITY/i.test(end === -1 ? subset : subset.slice(0, end));
}

/** Delimiters met in exports re-saved by other tools, which q2h does not read. */
const OTHER_DELIMITERS = ['|', '^', '~'];

/** The delimiter of a first line that holds none of q2h's (comma, semicolon, tab) but another one. */
function otherDelimiterOf(text: string): string | undefined {
  const end = text.indexOf('\n');
  const firstLine = (end === -1 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '');
  if (/[,;\t]/.test(firstLine)) return undefined;
  return OTHER_DELIMITERS.find((delimiter) => firstLine.includes(delimiter));
}
