import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveKindOf } from '../src/domain/archive/archive-kind.ts';
import {
  type Expansion,
  expandArchive,
  expansionCap,
  MAX_EXPANSION_RATIO,
  RATIO_FREE_BYTES,
} from '../src/domain/archive/expand-archive.ts';
import { recogniseReport } from '../src/domain/recognise-report.ts';
import { gzipBomb, gzipOf, zipBomb, zipOf } from './archive-samples.ts';
import { fixture } from './fixtures.ts';

const report = readFileSync(fixture('qualys_scan_report/scan_report_4_hosts.csv'));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'q2h-archive-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const GENEROUS = expansionCap(1, 64 * 2 ** 20); // 16 MiB: the ratio does not bite below RATIO_FREE_BYTES

/** Writes `archive` to a fresh directory and expands it there, as the upload route does. */
async function expand(archive: Buffer, cap = GENEROUS) {
  const dir = tempDir();
  const archivePath = join(dir, 'upload');
  const reportPath = join(dir, 'upload.expanded');
  writeFileSync(archivePath, archive);
  const kind = archiveKindOf(archive);
  if (kind?.kind !== 'gzip' && kind?.kind !== 'zip') throw new Error('not an archive q2h opens');
  const expansion: Expansion = await expandArchive(kind.kind, archivePath, reportPath, cap);
  return { expansion, reportPath };
}

describe('archiveKindOf: recognised by magic bytes, never the name', () => {
  it('knows gzip, zip and an empty zip, and names the archives q2h does not open', () => {
    expect(archiveKindOf(gzipOf('x'))).toEqual({ kind: 'gzip' });
    expect(archiveKindOf(zipOf([{ name: 'a.csv', data: report }]))).toEqual({ kind: 'zip' });
    expect(archiveKindOf(zipOf([]))).toEqual({ kind: 'zip' });
    const bzip2 = Buffer.from('425a683931415926535900', 'hex');
    expect(archiveKindOf(bzip2)).toEqual({ kind: 'unsupported', name: 'bzip2' });
    expect(archiveKindOf(Buffer.from('fd377a585a0000', 'hex'))).toEqual({ kind: 'unsupported', name: 'xz' });
    const tar = Buffer.alloc(512);
    tar.write('report.csv', 0);
    tar.write('ustar\u000000', 257, 'latin1');
    expect(archiveKindOf(tar)).toEqual({ kind: 'unsupported', name: 'tar' });
  });

  it('leaves reports alone, even one whose text starts like a magic number', () => {
    expect(archiveKindOf(report)).toBeUndefined();
    expect(archiveKindOf(Buffer.from('BZh,host,port\n'))).toBeUndefined();
    expect(archiveKindOf(Buffer.from('PK,name\n1,a\n'))).toBeUndefined();
  });

  it('refuses a report compressed with another tool by that tool name', () => {
    expect(recogniseReport(Buffer.from('425a683931415926535900', 'hex'))).toMatchObject({
      kind: 'rejected',
      slug: 'unsupported-archive',
      reason: expect.stringContaining('bzip2 archive'),
    });
  });
});

describe('expandArchive', () => {
  it('expands a gzipped report, hashing the report itself (not the archive)', async () => {
    const { expansion, reportPath } = await expand(gzipOf(report));
    expect(expansion).toMatchObject({ kind: 'ok', entryName: undefined, bytes: report.length });
    if (expansion.kind !== 'ok') throw new Error(expansion.kind);
    expect(expansion.sha256).toBe(sha256(report));
    expect(expansion.head.equals(report.subarray(0, 64 * 1024))).toBe(true);
    expect(readFileSync(reportPath).equals(report)).toBe(true);
  });

  it('gives the same hash for the same report zipped, gzipped or gzipped again later', async () => {
    const zipped = await expand(zipOf([{ name: 'scan.csv', data: report }]));
    const gzipped = await expand(gzipOf(report));
    // gzip stores a timestamp and the level changes the bytes: archive hashes would differ.
    const again = await expand(
      Buffer.concat([gzipOf(report.subarray(0, 100)), gzipOf(report.subarray(100))]),
    );
    expect(zipped.expansion).toMatchObject({ kind: 'ok', entryName: 'scan.csv' });
    const hashes = [zipped, gzipped, again].map((e) => (e.expansion.kind === 'ok' ? e.expansion.sha256 : ''));
    expect(new Set(hashes)).toEqual(new Set([sha256(report)]));
  });

  it('ignores directories and the __MACOSX copies Finder adds, and reads a stored entry', async () => {
    const { expansion } = await expand(
      zipOf([
        { name: 'exports/' },
        { name: 'exports/scan.csv', data: report, method: 0 },
        { name: '__MACOSX/' },
        { name: '__MACOSX/exports/._scan.csv', data: Buffer.from('AppleDouble') },
      ]),
    );
    expect(expansion).toMatchObject({ kind: 'ok', entryName: 'exports/scan.csv', sha256: sha256(report) });
  });

  it('refuses a zip of two reports, naming them, and a zip of none', async () => {
    const two = await expand(
      zipOf([
        { name: 'a.csv', data: report },
        { name: 'b.csv', data: report },
      ]),
    );
    expect(two.expansion).toMatchObject({
      kind: 'refused',
      slug: 'archive-not-one-report',
      reason: expect.stringMatching(/more than one file \(a\.csv, then b\.csv\)/),
    });
    expect(existsSync(two.reportPath)).toBe(false);
    for (const none of [zipOf([]), zipOf([{ name: 'empty-folder/' }])]) {
      expect((await expand(none)).expansion).toMatchObject({
        kind: 'refused',
        slug: 'archive-not-one-report',
        reason: 'the zip holds no file: nothing to import',
      });
    }
  });

  it('refuses an encrypted entry and a compression method it cannot read', async () => {
    expect(
      (await expand(zipOf([{ name: 'scan.csv', data: report, encrypted: true }]))).expansion,
    ).toMatchObject({
      kind: 'refused',
      slug: 'encrypted-archive',
      reason: expect.stringContaining('scan.csv'),
    });
    expect((await expand(zipOf([{ name: 'scan.csv', data: report, method: 12 }]))).expansion).toMatchObject({
      kind: 'refused',
      slug: 'unsupported-archive',
      reason: expect.stringContaining('method 12'),
    });
  });

  it('refuses a zip bomb from its declared size, before inflating a byte', async () => {
    const bomb = await zipBomb(100); // 100 MiB of 'a' in ~100 KB
    const started = performance.now();
    const { expansion, reportPath } = await expand(bomb, expansionCap(bomb.length, 64 * 2 ** 20));
    expect(expansion).toMatchObject({
      kind: 'refused',
      slug: 'archive-too-large',
      reason: expect.stringContaining('likely zip bomb'),
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(existsSync(reportPath)).toBe(false);
  });

  it('refuses a zip bomb whose header lies about its size: the bytes are counted as they inflate', async () => {
    const { expansion, reportPath } = await expand(await zipBomb(100, { declaredSize: 1000 }));
    expect(expansion).toMatchObject({ kind: 'refused', slug: 'corrupt-archive' });
    expect(expansion.kind === 'refused' && expansion.reason).toContain('too many bytes');
    expect(existsSync(reportPath)).toBe(false);
  });

  it('stops a gzip bomb (no trustworthy size) at the ratio cap while streaming', async () => {
    const bomb = await gzipBomb(100);
    const cap = expansionCap(bomb.length, 4096 * 2 ** 20);
    expect(cap.bytes).toBe(Math.max(RATIO_FREE_BYTES, MAX_EXPANSION_RATIO * bomb.length));
    const { expansion, reportPath } = await expand(bomb, cap);
    expect(expansion).toMatchObject({
      kind: 'refused',
      slug: 'archive-too-large',
      reason: expect.stringMatching(
        /more than \d+ MB, over 200× its compressed size: refused as a likely zip bomb/,
      ),
    });
    expect(existsSync(reportPath)).toBe(false);
  });

  it('caps the report at the upload limit, whatever the ratio', async () => {
    const cap = expansionCap(10 * 2 ** 20, 4 * 2 ** 20);
    expect(cap).toEqual({
      bytes: 4 * 2 ** 20,
      reason: 'the report inside is larger than the upload limit of 4 MB (Q2H_MAX_UPLOAD_MB)',
    });
    const { expansion } = await expand(await gzipBomb(5), cap);
    expect(expansion).toMatchObject({ kind: 'refused', slug: 'archive-too-large', reason: cap.reason });
  });

  it('refuses an archive inside the archive: one level only', async () => {
    const tar = Buffer.alloc(1024);
    tar.write('scan.csv', 0);
    tar.write('ustar\u000000', 257, 'latin1');
    const cases: [Buffer, string][] = [
      [gzipOf(zipOf([{ name: 'scan.csv', data: report }])), 'the gzip content is itself a zip archive'],
      [zipOf([{ name: 'scan.csv.gz', data: gzipOf(report) }]), 'scan.csv.gz is itself a gzip archive'],
      [gzipOf(tar), 'the gzip content is itself a tar archive'],
    ];
    for (const [archive, reason] of cases) {
      expect((await expand(archive)).expansion).toMatchObject({
        kind: 'refused',
        slug: 'nested-archive',
        reason: expect.stringContaining(reason),
      });
    }
  });

  it('refuses a truncated or damaged archive with the decompressor words', async () => {
    const gz = gzipOf(report);
    expect((await expand(gz.subarray(0, gz.length / 2))).expansion).toMatchObject({
      kind: 'refused',
      slug: 'corrupt-archive',
      reason: 'the gzip archive is damaged or truncated: unexpected end of file',
    });
    const zip = zipOf([{ name: 'scan.csv', data: report }]);
    expect((await expand(zip.subarray(0, zip.length - 30))).expansion).toMatchObject({
      kind: 'refused',
      slug: 'corrupt-archive',
    });
  });

  it('says the disk is full (ENOSPC) when the report cannot be written, and leaves nothing behind', async () => {
    const dir = tempDir();
    const archivePath = join(dir, 'upload');
    writeFileSync(archivePath, gzipOf(report));
    // /dev/full answers every write with ENOSPC: a full disk without root or a tiny filesystem.
    const reportPath = join(dir, 'upload.expanded');
    symlinkSync('/dev/full', reportPath);
    expect(await expandArchive('gzip', archivePath, reportPath, GENEROUS)).toEqual({
      kind: 'storage-full',
      reason: 'the server has no room left to store the file (ENOSPC)',
    });
    expect(existsSync(reportPath)).toBe(false); // the link was removed, never /dev/full itself
    expect(existsSync('/dev/full')).toBe(true);
  });
});
