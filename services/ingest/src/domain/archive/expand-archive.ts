import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import yauzl from 'yauzl';
import { REPORT_HEAD_BYTES } from '../recognise-report.ts';
import { storageFullReason } from '../storage-full.ts';
import { archiveKindOf, type OpenableArchive } from './archive-kind.ts';

export type ArchiveRefusal =
  | 'archive-not-one-report'
  | 'encrypted-archive'
  | 'archive-too-large'
  | 'nested-archive'
  | 'corrupt-archive'
  | 'unsupported-archive';

export type Expansion =
  | {
      kind: 'ok';
      /** The zip entry's name (undefined for gzip, which holds one unnamed stream). */
      entryName: string | undefined;
      bytes: number;
      /** Of the report, not of the archive: the same report zipped, gzipped or not is the same import. */
      sha256: string;
      /** The report's first REPORT_HEAD_BYTES, to recognise it by. */
      head: Buffer;
    }
  | { kind: 'refused'; slug: ArchiveRefusal; reason: string }
  | { kind: 'storage-full'; reason: string };

/**
 * Deflate cannot do better than ~1032:1, and zip bombs sit there. Real reports gzip 3–13× (the shared
 * fixtures; the 40 MB generated Scan Report: 12.3×), but a detection export sorted by QID, whose rows
 * repeat the same KB texts, reached 73× (18 MB → 249 KB): 200× leaves room above that and still stops
 * a bomb at a fifth of its output.
 */
export const MAX_EXPANSION_RATIO = 200;
/** Below this any ratio is fine: a small, very repetitive report costs nothing to expand. */
export const RATIO_FREE_BYTES = 16 * 2 ** 20;

export interface ExpansionCap {
  bytes: number;
  /** Said to the user when the report would grow past `bytes`. */
  reason: string;
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/**
 * How far an archive may expand: never past the upload limit (the largest report q2h takes is the same
 * compressed or not, and it is what the disk was sized for), and beyond RATIO_FREE_BYTES never past
 * MAX_EXPANSION_RATIO times the archive, so a small upload cannot make the server write gigabytes.
 */
export function expansionCap(archiveBytes: number, maxReportBytes: number): ExpansionCap {
  const byRatio = Math.max(RATIO_FREE_BYTES, MAX_EXPANSION_RATIO * archiveBytes);
  if (maxReportBytes <= byRatio) {
    return {
      bytes: maxReportBytes,
      reason: `the report inside is larger than the upload limit of ${mb(maxReportBytes)} (Q2H_MAX_UPLOAD_MB)`,
    };
  }
  return {
    bytes: byRatio,
    reason: `it expands to more than ${mb(byRatio)}, over ${MAX_EXPANSION_RATIO}× its compressed size: refused as a likely zip bomb`,
  };
}

/** A reason to stop expanding, raised from inside the pipeline. */
class Refusal extends Error {
  constructor(
    readonly slug: ArchiveRefusal,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Counts, hashes and keeps the head of the expanded bytes as they pass, and stops the stream as soon as
 * it grows past the cap (the declared sizes of an archive are never trusted alone) or turns out to be
 * an archive itself.
 */
class ExpandedReport extends Transform {
  bytes = 0;
  readonly hash = createHash('sha256');
  private readonly headChunks: Buffer[] = [];
  private headBytes = 0;
  private checked = false;

  constructor(
    private readonly cap: ExpansionCap,
    private readonly name: string,
  ) {
    super();
  }

  get head(): Buffer {
    return Buffer.concat(this.headChunks).subarray(0, REPORT_HEAD_BYTES);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(this.measure(chunk), chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.checked ? null : (this.nestedArchive() ?? null));
  }

  /** Counts, hashes and keeps the head of a chunk; a refusal stops the stream before the chunk is written. */
  private measure(chunk: Buffer): Refusal | null {
    this.bytes += chunk.length;
    if (this.bytes > this.cap.bytes) return new Refusal('archive-too-large', this.cap.reason);
    this.hash.update(chunk);
    if (this.headBytes < REPORT_HEAD_BYTES) {
      this.headChunks.push(chunk);
      this.headBytes += chunk.length;
    }
    return !this.checked && this.headBytes >= REPORT_HEAD_BYTES ? (this.nestedArchive() ?? null) : null;
  }

  private nestedArchive(): Refusal | undefined {
    this.checked = true;
    const inner = archiveKindOf(this.head);
    if (!inner) return undefined;
    const name = inner.kind === 'unsupported' ? inner.name : inner.kind;
    return new Refusal(
      'nested-archive',
      `${this.name} is itself a ${name} archive: q2h opens one level of .gz or .zip; upload the report it holds`,
    );
  }
}

/**
 * Expands the one report an archive holds to `reportPath`, streaming (never the whole report in memory),
 * within `cap`. On anything but 'ok' the partial report is removed; the archive is the caller's.
 * Throws only for outages other than a full disk (an unreadable upload directory, say).
 */
export async function expandArchive(
  kind: OpenableArchive,
  archivePath: string,
  reportPath: string,
  cap: ExpansionCap,
): Promise<Expansion> {
  try {
    const expansion =
      kind === 'gzip'
        ? await writeReport([createReadStream(archivePath), createGunzip()], reportPath, cap, undefined)
        : await expandZip(archivePath, reportPath, cap);
    if (expansion.kind !== 'ok') await rm(reportPath, { force: true });
    return expansion;
  } catch (error) {
    await rm(reportPath, { force: true });
    throw error;
  }
}

async function expandZip(archivePath: string, reportPath: string, cap: ExpansionCap): Promise<Expansion> {
  let zip: yauzl.ZipFile;
  try {
    // validateEntrySizes: yauzl also fails an entry whose data is longer or shorter than it declares.
    zip = await yauzl.openPromise(archivePath, {
      lazyEntries: true,
      autoClose: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    return damaged('zip', error);
  }
  try {
    let report: yauzl.Entry | undefined;
    try {
      for await (const entry of zip.eachEntry()) {
        if (!isReportCandidate(entry.fileName)) continue;
        if (report) {
          return refused(
            'archive-not-one-report',
            `the zip holds more than one file (${report.fileName}, then ${entry.fileName}): put one report per archive`,
          );
        }
        report = entry;
      }
    } catch (error) {
      return damaged('zip', error);
    }
    if (!report) return refused('archive-not-one-report', 'the zip holds no file: nothing to import');
    const name = report.fileName;
    if (report.isEncrypted()) {
      return refused(
        'encrypted-archive',
        `${name} is encrypted in the zip: q2h cannot read password-protected archives; upload it without a password`,
      );
    }
    if (!report.canDecodeFileData()) {
      return refused(
        'unsupported-archive',
        `${name} is compressed with zip method ${report.compressionMethod}: q2h reads stored or deflated entries`,
      );
    }
    // A first, cheap check; the bytes are still counted while inflating, whatever the header says.
    if (report.uncompressedSize > cap.bytes) return refused('archive-too-large', cap.reason);
    let stream: Readable;
    try {
      stream = await zip.openReadStreamPromise(report);
    } catch (error) {
      return damaged('zip', error);
    }
    return await writeReport([stream], reportPath, cap, name);
  } finally {
    zip.close();
  }
}

/**
 * Directories hold nothing to import, and macOS's Finder adds an AppleDouble copy of every file under
 * __MACOSX/ ("Compress report.csv" makes a zip of two files): neither is a second report.
 */
function isReportCandidate(fileName: string): boolean {
  return !fileName.endsWith('/') && !fileName.startsWith('__MACOSX/');
}

async function writeReport(
  source: [Readable, ...Transform[]],
  reportPath: string,
  cap: ExpansionCap,
  entryName: string | undefined,
): Promise<Expansion> {
  const report = new ExpandedReport(cap, entryName ?? 'the gzip content');
  try {
    await pipeline([...source, report, createWriteStream(reportPath)]);
  } catch (error) {
    if (error instanceof Refusal) return refused(error.slug, error.message);
    const full = storageFullReason(error);
    if (full) return { kind: 'storage-full', reason: full };
    return damaged(entryName === undefined ? 'gzip' : 'zip', error);
  }
  return {
    kind: 'ok',
    entryName,
    bytes: report.bytes,
    sha256: report.hash.digest('hex'),
    head: report.head,
  };
}

const refused = (slug: ArchiveRefusal, reason: string): Expansion => ({ kind: 'refused', slug, reason });

/**
 * zlib's and yauzl's own words ("unexpected end of file", "invalid signature") say what is wrong with the
 * data. An error of a system call is about the disk or the directory, not the data: it is rethrown.
 */
function damaged(kind: OpenableArchive, error: unknown): Expansion {
  if ((error as NodeJS.ErrnoException).syscall) throw error;
  return refused(
    'corrupt-archive',
    `the ${kind} archive is damaged or truncated: ${(error as Error).message}`,
  );
}
