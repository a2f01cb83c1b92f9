import Papa from 'papaparse';
import { detectDelimiter } from './csv-records.ts';
import { formatRecognising, reportFormats } from './formats/index.ts';
import { bomLength, decoderFor, detectEncoding, type TextEncoding } from './text-encoding.ts';

export type Recognition =
  | { kind: 'ok'; dialect: string; encoding: TextEncoding }
  | { kind: 'rejected'; slug: 'empty-file' | 'binary-file' | 'unknown-dialect'; reason: string };

/** Decides from the first bytes of a file (up to 64 KiB) whether q2h can read it, and how. */
export function recogniseReport(head: Buffer): Recognition {
  if (head.length === 0 || head.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    return { kind: 'rejected', slug: 'empty-file', reason: 'the file is empty' };
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
  const records = Papa.parse<string[]>(text, { preview: 30, delimiter: detectDelimiter(text) }).data;
  const format = formatRecognising({ text, records });
  if (!format) {
    const shown = text.trimStart().split(/\r?\n/, 1)[0]?.slice(0, 80) ?? '';
    return {
      kind: 'rejected',
      slug: 'unknown-dialect',
      reason: `not a recognised scanner report: its first line (${JSON.stringify(shown)}) matches none of the formats q2h reads (${reportFormats.map((f) => f.label).join('; ')})`,
    };
  }
  return { kind: 'ok', dialect: format.dialect, encoding };
}
