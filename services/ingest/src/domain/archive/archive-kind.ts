/** A compressed container q2h opens: a gzip stream, or a zip holding one report. */
export type OpenableArchive = 'gzip' | 'zip';

/** What a file's first bytes announce (magic numbers, never the file name). */
export type ArchiveKind = { kind: OpenableArchive } | { kind: 'unsupported'; name: string } | undefined;

const has = (head: Uint8Array, bytes: readonly number[], at = 0) =>
  head.length >= at + bytes.length && bytes.every((byte, i) => head[at + i] === byte);

/**
 * Archive formats q2h does not open, named so that a report compressed with one (or nested inside a
 * .gz/.zip) is refused with that name rather than as "binary data".
 */
const UNSUPPORTED: readonly { name: string; is: (head: Uint8Array) => boolean }[] = [
  // "BZh", a block size digit, then the first block's magic (digits of pi): "BZh" alone could be text.
  { name: 'bzip2', is: (h) => has(h, [0x42, 0x5a, 0x68]) && has(h, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59], 4) },
  { name: 'xz', is: (h) => has(h, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  { name: '7z', is: (h) => has(h, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { name: 'rar', is: (h) => has(h, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]) },
  { name: 'zstd', is: (h) => has(h, [0x28, 0xb5, 0x2f, 0xfd]) },
  // POSIX/GNU tar (what a .tar.gz holds): "ustar" at offset 257 of a header whose name is NUL-padded.
  {
    name: 'tar',
    is: (h) =>
      has(h, [0x75, 0x73, 0x74, 0x61, 0x72], 257) &&
      (h[262] === 0x00 || h[262] === 0x20) &&
      h.subarray(0, 100).includes(0),
  },
];

export function archiveKindOf(head: Uint8Array): ArchiveKind {
  if (has(head, [0x1f, 0x8b])) return { kind: 'gzip' };
  // A local file header, or the end-of-central-directory record that is all an empty zip holds.
  if (has(head, [0x50, 0x4b, 0x03, 0x04]) || has(head, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'zip' };
  const other = UNSUPPORTED.find(({ is }) => is(head));
  return other ? { kind: 'unsupported', name: other.name } : undefined;
}
