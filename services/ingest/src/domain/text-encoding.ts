import { StringDecoder } from 'node:string_decoder';
import { TextDecoder } from 'node:util';

/** Encodings q2h detects from content (never from the file name). */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const BOMS: readonly [TextEncoding, readonly number[]][] = [
  ['utf-8-bom', UTF8_BOM],
  ['utf-16le', [0xff, 0xfe]],
  ['utf-16be', [0xfe, 0xff]],
];

/**
 * A BOM decides (UTF-8, UTF-16 LE/BE: what Excel's "Unicode text" and PowerShell write); else UTF-8, otherwise Windows-1252 (a superset of Latin-1's printable range, which is
 * what Excel and older Qualys exports write). A sample that is not valid UTF-8 cannot be UTF-8.
 */
export function detectEncoding(sample: Uint8Array): TextEncoding {
  for (const [encoding, bom] of BOMS) {
    if (bom.every((byte, i) => sample[i] === byte)) return encoding;
  }
  // The sample may end inside a multi-byte sequence: drop up to 3 trailing bytes of an unfinished one.
  let end = sample.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = sample[end - back] ?? 0;
    if ((byte & 0xc0) === 0xc0) {
      end -= back;
      break;
    }
    if ((byte & 0x80) === 0) break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** Bytes to skip at the start of the file (the BOM). */
export function bomLength(encoding: TextEncoding): number {
  return BOMS.find(([e]) => e === encoding)?.[1].length ?? 0;
}

/** A streaming decoder: `write` keeps a multi-byte sequence cut by a chunk boundary for the next chunk. */
export interface ChunkDecoder {
  write(chunk: Buffer): string;
  end(): string;
}

export function decoderFor(encoding: TextEncoding): ChunkDecoder {
  if (encoding === 'windows-1252' || encoding === 'utf-16be') {
    const decoder = new TextDecoder(encoding);
    return { write: (chunk) => decoder.decode(chunk, { stream: true }), end: () => decoder.decode() };
  }
  // Node's StringDecoder decodes UTF-8 ~3x faster than ICU's TextDecoder (310 ms → ~100 ms per 100 MB).
  const decoder = new StringDecoder(encoding === 'utf-16le' ? 'utf16le' : 'utf8');
  return { write: (chunk) => decoder.write(chunk), end: () => decoder.end() };
}
