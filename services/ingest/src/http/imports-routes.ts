import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProblemError, problem } from '@q2h/platform';
import { Router } from 'express';
import { keepUpload, readHead, storeUpload } from '../adapters/upload-store.ts';
import { recogniseReport } from '../domain/recognise-report.ts';
import type { ImportService } from '../import-service.ts';

/** Import id = hash(tenant, file sha256): the same content uploaded again is the same import. */
export function importIdOf(tenant: string, sha256: string): string {
  return createHash('sha256').update(`${tenant}:${sha256}`).digest('hex').slice(0, 24);
}

/** POST /api/imports: stream the upload to disk, recognise it, answer 202 and import in the background. */
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
    const stored = await storeUpload(req, options.uploadDir, options.maxUploadBytes);
    if (stored.kind === 'too-large') {
      const mb = Math.round(stored.limit / 1024 / 1024);
      throw new ProblemError(
        problem(413, 'upload-too-large', `the file exceeds the upload limit of ${mb} MB (Q2H_MAX_UPLOAD_MB)`),
      );
    }
    if (stored.kind === 'malformed')
      throw new ProblemError(problem(400, 'malformed-multipart', `malformed upload: ${stored.reason}`));
    if (stored.kind === 'no-file')
      throw new ProblemError(problem(400, 'no-file', 'the multipart body has no field "file"'));

    const { upload } = stored;
    const recognised = recogniseReport(await readHead(upload.path));
    if (recognised.kind === 'rejected') {
      await rm(upload.path, { force: true });
      throw new ProblemError(
        problem(422, recognised.slug, `${upload.filename}: ${recognised.reason}`, { file: upload.filename }),
      );
    }
    const importId = importIdOf(tenant, upload.sha256);
    const existing = await service.existing(tenant, importId);
    if (existing) {
      await rm(upload.path, { force: true });
      res.status(200).json({ id: importId, status: existing, duplicate: true });
      return;
    }
    const kept = await keepUpload(upload, join(options.uploadDir, `${importId}.report`));
    const status = await service.accept({
      tenant,
      importId,
      sequence: Date.now(),
      filename: kept.filename,
      path: kept.path,
      sha256: kept.sha256,
      bytesTotal: kept.bytes,
      dialect: recognised.dialect,
      encoding: recognised.encoding,
    });
    res.status(202).json({ id: importId, status });
  });
  return router;
}
