import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningImportJob } from '../adapters/run-import-in-worker.ts';
import { archiveKindOf, type OpenableArchive } from '../domain/archive/archive-kind.ts';
import { expandArchive, expansionCap } from '../domain/archive/expand-archive.ts';
import type { ImportJob } from '../domain/import-job.ts';
import { REPORT_HEAD_BYTES, recogniseReport } from '../domain/recognise-report.ts';
import { type ImportService, newImportId } from '../import-service.ts';
import type { FileObservation } from './stable-files.ts';

export type WatchedFileResult =
  | { kind: 'imported'; importId: string; sha256: string }
  | { kind: 'duplicate'; importId: string; sha256: string }
  | { kind: 'rejected'; reason: string }
  /** The file changed while it was copied: its next version is looked at again. */
  | { kind: 'changed' };

export interface WatchedFile {
  tenant: string;
  /** Where it is in the watched folder. */
  path: string;
  name: string;
  /** Its size and mtime when it was found to have stopped growing. */
  seen: FileObservation;
}

const COPY_CHUNK_BYTES = 1 << 20;

/**
 * Imports one file of a watched folder the way an upload is imported: its head is recognised, the job
 * starts on a copy in the upload directory while the rest is copied (hashed on the way), then the copy
 * is admitted, or discarded when the same content was imported before. Never parsed in place: the
 * folder's owner may replace or delete the file at any time. A .gz or .zip is copied whole, then its
 * one report expanded and imported, as an upload's. I/O errors (unreadable file, full disk) are thrown
 * after giving back what was started.
 */
export async function importWatchedFile(
  service: ImportService,
  file: WatchedFile,
  options: { uploadDir: string; maxBytes: number },
): Promise<WatchedFileResult> {
  if (file.seen.size > options.maxBytes) {
    const limit = Math.round(options.maxBytes / 2 ** 20);
    return {
      kind: 'rejected',
      reason: `the file exceeds the upload limit of ${limit} MB (Q2H_MAX_UPLOAD_MB)`,
    };
  }
  await mkdir(options.uploadDir, { recursive: true });
  const source = await open(file.path, 'r');
  try {
    const head = Buffer.alloc(Math.min(REPORT_HEAD_BYTES, file.seen.size));
    const { bytesRead } = await source.read(head, 0, head.length, 0);
    const archive = archiveKindOf(head.subarray(0, bytesRead));
    if (archive && archive.kind !== 'unsupported') {
      return await importArchive(service, file, source, archive.kind, options);
    }
    return await importReport(service, file, source, head.subarray(0, bytesRead), options.uploadDir);
  } finally {
    await source.close();
  }
}

async function importReport(
  service: ImportService,
  file: WatchedFile,
  source: FileHandle,
  head: Buffer,
  uploadDir: string,
): Promise<WatchedFileResult> {
  const recognised = recogniseReport(head);
  if (recognised.kind === 'rejected') return { kind: 'rejected', reason: recognised.reason };
  const job: ImportJob = {
    tenant: file.tenant,
    importId: newImportId(),
    sequence: Date.now(),
    filename: file.name,
    path: '',
    sha256: '',
    bytesTotal: file.seen.size,
    dialect: recognised.dialect,
    encoding: recognised.encoding,
  };
  const path = join(uploadDir, `${job.importId}.report`);
  let run: RunningImportJob | undefined;
  try {
    // The job reads the copy as it grows, as it reads an upload still arriving (ADR 0008).
    const copied = await copyUnchanged(source, path, file.seen, () => {
      run = service.begin({ ...job, path });
    });
    if (copied.kind === 'changed') {
      if (run) service.discard(run);
      else await rm(path, { force: true });
      return copied;
    }
    return await admit(service, { ...job, path, sha256: copied.sha256, bytesTotal: copied.bytes }, run!);
  } catch (error) {
    // A job that began removes its copy when it ends; one that did not leaves it to us.
    if (run) service.discard(run);
    else await rm(path, { force: true });
    throw error;
  }
}

/** A compressed report: its directory is at its end, so it is copied whole, then expanded and imported. */
async function importArchive(
  service: ImportService,
  file: WatchedFile,
  source: FileHandle,
  kind: OpenableArchive,
  options: { uploadDir: string; maxBytes: number },
): Promise<WatchedFileResult> {
  const importId = newImportId();
  const archivePath = join(options.uploadDir, `${importId}.archive`);
  const reportPath = join(options.uploadDir, `${importId}.report`);
  try {
    const copied = await copyUnchanged(source, archivePath, file.seen);
    if (copied.kind === 'changed') return copied;
    const expansion = await expandArchive(
      kind,
      archivePath,
      reportPath,
      expansionCap(copied.bytes, options.maxBytes),
    );
    if (expansion.kind === 'storage-full') throw new Error(expansion.reason);
    if (expansion.kind === 'refused') return { kind: 'rejected', reason: expansion.reason };
    const recognised = recogniseReport(expansion.head);
    if (recognised.kind === 'rejected') {
      await rm(reportPath, { force: true });
      return { kind: 'rejected', reason: recognised.reason };
    }
    const job: ImportJob = {
      tenant: file.tenant,
      importId,
      sequence: Date.now(),
      filename: expansion.entryName === undefined ? file.name : `${file.name}/${expansion.entryName}`,
      path: reportPath,
      sha256: expansion.sha256,
      bytesTotal: expansion.bytes,
      dialect: recognised.dialect,
      encoding: recognised.encoding,
    };
    return await admit(service, job, service.begin(job));
  } finally {
    await rm(archivePath, { force: true });
  }
}

async function admit(
  service: ImportService,
  job: ImportJob,
  run: RunningImportJob,
): Promise<WatchedFileResult> {
  const admission = await service.admitUnlessDuplicate(job, run);
  return admission.kind === 'duplicate'
    ? { kind: 'duplicate', importId: admission.id, sha256: job.sha256 }
    : { kind: 'imported', importId: job.importId, sha256: job.sha256 };
}

/**
 * Copies `source` to `path`, hashing on the way; `started` is called once the head is on disk. The copy
 * counts only if the file kept the size and mtime it had when it was found settled: a writer that
 * resumed meanwhile makes it 'changed' (the next version is imported instead).
 */
async function copyUnchanged(
  source: FileHandle,
  path: string,
  seen: FileObservation,
  started?: () => void,
): Promise<{ kind: 'ok'; bytes: number; sha256: string } | { kind: 'changed' }> {
  const copy = await open(path, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    const chunk = Buffer.alloc(COPY_CHUNK_BYTES);
    for (let first = true; ; first = false) {
      // The first read is the head only, so the job can start as soon as it is written.
      const want = first ? Math.min(REPORT_HEAD_BYTES, chunk.length) : chunk.length;
      const { bytesRead } = await source.read(chunk, 0, want, bytes);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      await copy.write(chunk, 0, bytesRead);
      bytes += bytesRead;
      if (first) started?.();
    }
    await copy.sync();
  } finally {
    await copy.close();
  }
  const after = await source.stat();
  if (bytes !== seen.size || after.size !== seen.size || Math.floor(after.mtimeMs) !== seen.mtimeMs) {
    return { kind: 'changed' };
  }
  return { kind: 'ok', bytes, sha256: hash.digest('hex') };
}
