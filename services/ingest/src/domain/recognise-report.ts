import Papa from 'papaparse';
import { type Dialect, sniffDialect } from './dialects/sniff-dialect.ts';
import { bomLength, decoderFor, detectEncoding, type TextEncoding } from './text-encoding.ts';

export type Recognition =
  | { kind: 'ok'; dialect: Dialect; encoding: TextEncoding }
  | { kind: 'rejected'; slug: 'empty-file' | 'binary-file' | 'unknown-dialect'; reason: string };

/** Decides from the first bytes of a file whether q2h can read it, and how (encoding, dialect). */
export function recogniseReport(head: Buffer): Recognition {
  if (head.length === 0 || head.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    return { kind: 'rejected', slug: 'empty-file', reason: 'the file is empty' };
  }
  if (head.includes(0)) {
    return { kind: 'rejected', slug: 'binary-file', reason: 'the file holds binary data, not a CSV report' };
  }
  const encoding = detectEncoding(head);
  const text = decoderFor(encoding).write(head.subarray(bomLength(encoding)));
  const firstRecord = Papa.parse<string[]>(text, { preview: 1, delimiter: ',' }).data[0] ?? [];
  const sniffed = sniffDialect(firstRecord);
  if (sniffed.kind === 'unknown')
    return { kind: 'rejected', slug: 'unknown-dialect', reason: sniffed.reason };
  return { kind: 'ok', dialect: sniffed.dialect, encoding };
}
