import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemError, problem } from '@q2h/platform';
import { Router } from 'express';
import { receiveUpload, type UploadResult } from '../adapters/upload-store.ts';
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
    case 'no-file':
      return new ProblemError(problem(400, 'no-file', 'the multipart body has no field "file"'));
  }
}

/**
 * POST /api/imports: streams the upload to disk and starts the import on its first 64 KiB, so parsing
 * runs while the rest arrives; answers 202 once the upload is complete (or 200 for content imported
 * before, 4xx for an upload or a file q2h cannot take).
 */
export function importsRouter(
  service: ImportService,
  options: { uploadDir: string; maxUploadBytes: number },
): Router {
  const router = Router();
  router.post('/imports', async (req, res) => {
    const tenant = req.principal!.tenant;
    if (!req.is('multipart/form-data')) {
      throw new ProblemError(
        problem(415, 'not-multipart', 'send the report as multipart/form-data, field "file"'),
      );
    }
    const importId = newImportId();
    const path = join(options.uploadDir, `${importId}.report`);
    const upload = receiveUpload(req, path, options.maxUploadBytes);
    const head = await upload.head;
    if (head.kind !== 'ok') {
      const done = await upload.done;
      throw uploadProblem(done.kind === 'ok' ? { kind: 'no-file' } : done);
    }
    const recognised = recogniseReport(head.head);
    if (recognised.kind === 'rejected') {
      await upload.done; // let the client finish sending before answering; the file is then removed
      await rm(path, { force: true });
      throw new ProblemError(
        problem(422, recognised.slug, `${head.filename}: ${recognised.reason}`, { file: head.filename }),
      );
    }
    const job = {
      tenant,
      importId,
      sequence: Date.now(),
      filename: head.filename,
      path,
      sha256: '',
      // Until the upload ends, the request's length is the best estimate of the file's size.
      bytesTotal: Number(req.headers['content-length'] ?? 0),
      dialect: recognised.dialect,
      encoding: recognised.encoding,
    };
    const run = service.begin(job);
    const done = await upload.done;
    if (done.kind !== 'ok') {
      service.discard(run);
      throw uploadProblem(done);
    }
    const duplicate = await service.duplicateOf(tenant, done.upload.sha256);
    if (duplicate) {
      service.discard(run);
      res.status(200).json({ id: duplicate.id, status: duplicate.status, duplicate: true });
      return;
    }
    await service.admit({ ...job, sha256: done.upload.sha256, bytesTotal: done.upload.bytes }, run);
    res.status(202).json({ id: importId, status: 'accepted' });
  });
  return router;
}
