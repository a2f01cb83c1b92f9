import { once } from 'node:events';
import type { Transform } from 'node:stream';
import { crc32, createDeflateRaw, createGzip, deflateRawSync, gzipSync } from 'node:zlib';

/** One entry of a hand-made zip: what a real tool would write, or a hostile variation of it. */
export interface ZipEntrySpec {
  name: string;
  /** The entry's content (absent, with `deflated`, for a directory). */
  data?: Uint8Array;
  /** Content deflated beforehand, with its CRC-32 and size. */
  deflated?: { data: Buffer; crc: number; size: number };
  /** 8 (deflate, the default) or 0 (stored); anything else declares a method q2h cannot read. */
  method?: number;
  /** Sets the "encrypted" flag (the data is left as is: nothing can decrypt it anyway). */
  encrypted?: boolean;
  /** Declares this uncompressed size instead of the real one (a lying header). */
  declaredSize?: number;
}

/**
 * Builds a zip in memory byte by byte (local headers, central directory, end record), so tests can
 * make what no archiver would: encrypted flags, lying sizes, unknown methods.
 */
export function zipOf(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.from(entry.data ?? new Uint8Array());
    const directory = entry.data === undefined && entry.deflated === undefined;
    const method = directory ? 0 : (entry.method ?? 8);
    const stored = entry.deflated?.data ?? (method === 8 ? deflateRawSync(data, { level: 9 }) : data);
    const fields = {
      flags: 0x0800 | (entry.encrypted ? 0x0001 : 0), // UTF-8 names
      method,
      crc: entry.deflated?.crc ?? crc32(data),
      compressed: stored.length,
      size: entry.declaredSize ?? entry.deflated?.size ?? data.length,
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(fields.flags, 6);
    local.writeUInt16LE(fields.method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(fields.crc, 14);
    local.writeUInt32LE(fields.compressed, 18);
    local.writeUInt32LE(fields.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(fields.flags, 8);
    central.writeUInt16LE(fields.method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(fields.crc, 16);
    central.writeUInt32LE(fields.compressed, 20);
    central.writeUInt32LE(fields.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(directory ? 0x10 : 0, 38); // MS-DOS directory attribute
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export const gzipOf = (data: Uint8Array | string): Buffer => gzipSync(data);

/**
 * `megabytes` MiB of one repeated byte, compressed as it is made (never held whole in memory): what
 * a deflate bomb is, ~1000:1.
 */
async function compressedRepeats(
  megabytes: number,
  compressor: Transform,
): Promise<{ data: Buffer; crc: number; size: number }> {
  const mib = Buffer.alloc(2 ** 20, 'a');
  const chunks: Buffer[] = [];
  compressor.on('data', (chunk: Buffer) => chunks.push(chunk));
  let crc = 0;
  for (let i = 0; i < megabytes; i++) {
    crc = crc32(mib, crc);
    if (!compressor.write(mib)) await once(compressor, 'drain');
  }
  compressor.end();
  await once(compressor, 'end');
  return { data: Buffer.concat(chunks), crc, size: megabytes * mib.length };
}

/** A zip of one entry that honestly declares its `megabytes` MiB, deflated ~1000:1. */
export async function zipBomb(megabytes: number, options: { declaredSize?: number } = {}): Promise<Buffer> {
  const deflated = await compressedRepeats(megabytes, createDeflateRaw({ level: 9 }));
  return zipOf([{ name: 'report.csv', deflated, ...options }]);
}

export async function gzipBomb(megabytes: number): Promise<Buffer> {
  return (await compressedRepeats(megabytes, createGzip({ level: 9 }))).data;
}
