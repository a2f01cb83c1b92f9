import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ProblemError, problem } from '@q2h/platform';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import type { ImportService } from '../import-service.ts';
import { importWatchedFile } from '../watched-folders/import-watched-file.ts';

const NewUpload = z.object({
  filename: z.string().min(1).max(500),
  size: z.number().int().positive(),
});

interface UploadSession {
  tenant: string;
  filename: string;
  size: number;
}

const ID = /^[0-9a-f]{24}$/;

/**
 * Resumable uploads for multi-GB files from a browser (a tus-like protocol of four calls):
 * POST /uploads {filename, size} opens one; PATCH /uploads/{id} with `Upload-Offset: n` appends a chunk
 * at n (409 with the server's offset when n is not where the file ends, so a client that lost a chunk
 * resumes from there); GET /uploads/{id} says how far it is; POST /uploads/{id}/complete imports the
 * file as an upload (recognised, hashed, deduplicated). The parts live in the ingest target's upload
 * directory: with several ingest replicas, route one upload's calls to one replica.
 */
export function resumableUploadRouter(
  service: ImportService,
  options: { uploadDir: string; maxUploadBytes: number },
): Router {
  const dir = join(options.uploadDir, 'resumable');
  const dataPath = (id: string) => join(dir, `${id}.part`);
  const sessionPath = (id: string) => join(dir, `${id}.json`);

  async function sessionOf(req: Request): Promise<{ id: string; session: UploadSession; offset: number }> {
    const id = String(req.params.id);
    const session = ID.test(id)
      ? await readFile(sessionPath(id), 'utf8').then(
          (text) => JSON.parse(text) as UploadSession,
          () => undefined,
        )
      : undefined;
    // Another tenant's upload is as unknown as a missing one.
    if (!session || session.tenant !== req.principal!.tenant) {
      throw new ProblemError(
        problem(404, 'upload-not-found', `no upload ${id} (finished, cancelled or never opened)`),
      );
    }
    const offset = await stat(dataPath(id)).then(
      (s) => s.size,
      () => 0,
    );
    return { id, session, offset };
  }

  /** Uploads receiving a chunk now: a second chunk at once would interleave with it. */
  const receiving = new Set<string>();

  const router = Router();
  router.post('/uploads', express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = NewUpload.safeParse(req.body);
    if (!parsed.success) {
      throw new ProblemError(problem(400, 'invalid-body', 'send {"filename": "...", "size": <bytes>}'));
    }
    if (parsed.data.size > options.maxUploadBytes) {
      const limit = Math.round(options.maxUploadBytes / 2 ** 20);
      throw new ProblemError(
        problem(
          413,
          'upload-too-large',
          `the file exceeds the upload limit of ${limit} MB (Q2H_MAX_UPLOAD_MB)`,
        ),
      );
    }
    const id = randomBytes(12).toString('hex');
    await mkdir(dir, { recursive: true });
    await writeFile(dataPath(id), '');
    const session: UploadSession = { tenant: req.principal!.tenant, ...parsed.data };
    await writeFile(sessionPath(id), JSON.stringify(session));
    res.status(201).json({ id, offset: 0, size: session.size });
  });

  router.get('/uploads/:id', async (req, res) => {
    const { id, session, offset } = await sessionOf(req);
    res.json({ id, filename: session.filename, size: session.size, offset });
  });

  router.patch('/uploads/:id', async (req, res) => {
    const { id, session, offset } = await sessionOf(req);
    const at = Number(req.get('upload-offset'));
    if (at !== offset) {
      throw new ProblemError(
        problem(409, 'offset-mismatch', `the upload is at byte ${offset}, not ${req.get('upload-offset')}`, {
          offset,
        }),
      );
    }
    const length = Number(req.get('content-length') ?? Number.NaN);
    if (!(length >= 0) || offset + length > session.size) {
      throw new ProblemError(
        problem(400, 'chunk-too-large', `a chunk must have a Content-Length and end by byte ${session.size}`),
      );
    }
    if (receiving.has(id)) {
      throw new ProblemError(problem(409, 'chunk-in-progress', 'another chunk of this upload is arriving'));
    }
    receiving.add(id);
    try {
      await pipeline(req, createWriteStream(dataPath(id), { flags: 'a' }));
    } finally {
      receiving.delete(id);
    }
    res.json({ id, offset: offset + length, size: session.size });
  });

  router.post('/uploads/:id/complete', async (req, res) => {
    const { id, session, offset } = await sessionOf(req);
    if (offset !== session.size) {
      throw new ProblemError(
        problem(409, 'upload-incomplete', `only ${offset} of ${session.size} bytes arrived`, { offset }),
      );
    }
    const path = dataPath(id);
    const { mtimeMs } = await stat(path);
    try {
      const result = await importWatchedFile(
        service,
        {
          tenant: session.tenant,
          path,
          name: session.filename,
          seen: { size: offset, mtimeMs: Math.floor(mtimeMs) },
        },
        { uploadDir: options.uploadDir, maxBytes: options.maxUploadBytes },
      );
      if (result.kind === 'rejected') {
        throw new ProblemError(problem(422, 'unrecognised-report', `${session.filename}: ${result.reason}`));
      }
      if (result.kind === 'changed') {
        throw new ProblemError(problem(409, 'upload-changed', 'the upload changed while it was imported'));
      }
      if (result.kind === 'duplicate') res.status(200).json({ id: result.importId, duplicate: true });
      else res.status(202).json({ id: result.importId, status: 'accepted' });
    } finally {
      await rm(path, { force: true });
      await rm(sessionPath(id), { force: true });
    }
  });

  router.delete('/uploads/:id', async (req, res) => {
    const { id } = await sessionOf(req);
    await rm(dataPath(id), { force: true });
    await rm(sessionPath(id), { force: true });
    res.status(204).end();
  });
  return router;
}
