import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemError, problem } from '@q2h/platform';
import { type Response, Router } from 'express';
import type { RunningImportJob } from '../adapters/run-import-in-worker.ts';
import {
  type IncomingUpload,
  receiveBody,
  receiveUpload,
  type UploadResult,
} from '../adapters/upload-store.ts';
import { archiveKindOf, type OpenableArchive } from '../domain/archive/archive-kind.ts';
import { expandArchive, expansionCap } from '../domain/archive/expand-archive.ts';
import type { ImportJob } from '../domain/import-job.ts';
import { recogniseReport } from '../domain/recognise-report.ts';
import { type ImportService, newImportId } from '../import-service.ts';

function uploadProblem(result: Exclude<UploadResult, { kind: 'ok' }>): ProblemError {
  switch (result.kind) {
    case 'too-large':
      return new ProblemError(
        problem(
          413,
          'upload-too-large',
          `the file exceeds the upload limit of ${Math.round(result.limit / 1024 / 1024)} MB (Q2H_MAX_UPLOAD_MB)`,
        ),
      );
    case 'malformed':
      return new ProblemError(problem(400, 'malformed-multipart', `malformed upload: ${result.reason}`));
    case 'storage-full':
      return storageFull(result.reason);
    case 'no-file':
      return new ProblemError(problem(400, 'no-file', 'the multipart body has no field "file"'));
  }
}

/** A raw upload's name, from `?filename=` (its last path segment); "report" when none is given. */
function filenameOf(query: unknown): string {
  const name = typeof query === 'string' ? (query.split(/[\\/]/).pop() ?? '').trim() : '';
  return name || 'report';
}

/** 507 (RFC 4918): the server's disk, not the file, is the problem; the same upload may succeed later. */
const storageFull = (reason: string) =>
  new ProblemError(
    problem(507, 'insufficient-storage', `${reason}: nothing was imported, try again later`, {
      title: 'Insufficient Storage',
    }),
  );

const unreadable = (file: string, slug: string, reason: string) =>
  new ProblemError(problem(422, slug, `${file}: ${reason}`, { file }));

/** The report of a .gz/.zip upload, expanded next to it once the upload is complete. */
interface ExpandedUpload {
  path: string;
  /** "scans.zip/scan_report.csv" for a zip entry, the upload's name for gzip. */
  filename: string;
  bytes: number;
  sha256: string;
  head: Buffer;
}

/**
 * Waits for the whole archive (it cannot be read while it grows: a zip's directory is at its end), then
 * expands its one report beside it and removes the archive. No overlap of upload and parsing here
 * (ADR 0008): an archive is ~10× smaller than its report, so its upload is short.
 */
async function expandUpload(
  upload: IncomingUpload,
  kind: OpenableArchive,
  archive: { path: string; filename: string },
  maxReportBytes: number,
): Promise<ExpandedUpload> {
  const done = await upload.done;
  if (done.kind !== 'ok') throw uploadProblem(done);
  const path = `${archive.path}.expanded`;
  try {
    const cap = expansionCap(done.upload.bytes, maxReportBytes);
    const expansion = await expandArchive(kind, archive.path, path, cap);
    if (expansion.kind === 'storage-full') throw storageFull(expansion.reason);
    if (expansion.kind === 'refused') throw unreadable(archive.filename, expansion.slug, expansion.reason);
    const { entryName, bytes, sha256, head } = expansion;
    const filename = entryName === undefined ? archive.filename : `${archive.filename}/${entryName}`;
    return { path, filename, bytes, sha256, head };
  } finally {
    await rm(archive.path, { force: true });
  }
}

/**
 * POST /api/imports: streams the upload to disk and starts the import on its first 64 KiB, so parsing
 * runs while the rest arrives; answers 202 once the upload is complete (or 200 for content imported
 * before, 4xx for an upload or a file q2h cannot take, 507 when the disk is full). A .gz or .zip upload
 * (recognised by its magic bytes) is expanded first, and its report is what is recognised and imported.
 */
export function importsRouter(
  service: ImportService,
  options: { uploadDir: string; maxUploadBytes: number },
): Router {
  const router = Router();
  router.post('/imports', async (req, res) => {
    const tenant = req.principal!.tenant;
    const multipart = req.is('multipart/form-data') === 'multipart/form-data';
    // The body itself is the report when it is sent as bytes (curl -T) or untyped.
    const raw = !multipart && (!req.headers['content-type'] || req.is('application/octet-stream'));
    if (!multipart && !raw) {
      throw new ProblemError(
        problem(
          415,
          'not-multipart',
          'send the report as multipart/form-data (field "file"), or as the body with Content-Type application/octet-stream',
        ),
      );
    }
    const importId = newImportId();
    const path = join(options.uploadDir, `${importId}.report`);
    const upload = multipart
      ? receiveUpload(req, path, options.maxUploadBytes)
      : receiveBody(req, path, filenameOf(req.query['filename']), options.maxUploadBytes);
    const head = await upload.head;
    if (head.kind !== 'ok') {
      const done = await upload.done;
      throw uploadProblem(done.kind === 'ok' ? { kind: 'no-file' } : done);
    }
    const job = { tenant, importId, sequence: Date.now(), filename: head.filename };

    const archive = archiveKindOf(head.head);
    if (archive && archive.kind !== 'unsupported') {
      const report = await expandUpload(
        upload,
        archive.kind,
        { path, filename: head.filename },
        options.maxUploadBytes,
      );
      const recognised = recogniseReport(report.head);
      if (recognised.kind === 'rejected') {
        await rm(report.path, { force: true });
        throw unreadable(report.filename, recognised.slug, recognised.reason);
      }
      const expanded: ImportJob = {
        ...job,
        filename: report.filename,
        path: report.path,
        sha256: report.sha256,
        bytesTotal: report.bytes,
        dialect: recognised.dialect,
        encoding: recognised.encoding,
      };
      await admit(service, expanded, service.begin(expanded), res);
      return;
    }

    const recognised = recogniseReport(head.head);
    if (recognised.kind === 'rejected') {
      await upload.done; // let the client finish sending before answering; the file is then removed
      await rm(path, { force: true });
      throw unreadable(head.filename, recognised.slug, recognised.reason);
    }
    const growing: ImportJob = {
      ...job,
      path,
      sha256: '',
      // Until the upload ends, the request's length is the best estimate of the file's size.
      bytesTotal: Number(req.headers['content-length'] ?? 0),
      dialect: recognised.dialect,
      encoding: recognised.encoding,
    };
    const run = service.begin(growing);
    const done = await upload.done;
    if (done.kind !== 'ok') {
      service.discard(run);
      throw uploadProblem(done);
    }
    await admit(service, { ...growing, sha256: done.upload.sha256, bytesTotal: done.upload.bytes }, run, res);
  });
  return router;
}

/** Admits a complete upload (202), or answers with the earlier import of the same content (200). */
async function admit(
  service: ImportService,
  job: ImportJob,
  run: RunningImportJob,
  res: Response,
): Promise<void> {
  const admission = await service.admitUnlessDuplicate(job, run);
  if (admission.kind === 'duplicate') {
    res.status(200).json({ id: admission.id, status: admission.status, duplicate: true });
  } else {
    res.status(202).json({ id: job.importId, status: 'accepted' });
  }
}
