import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Busboy from 'busboy';

export interface StoredUpload {
  path: string;
  filename: string;
  bytes: number;
  sha256: string;
}

export type UploadResult =
  | { kind: 'ok'; upload: StoredUpload }
  | { kind: 'too-large'; limit: number }
  | { kind: 'malformed'; reason: string }
  | { kind: 'no-file' };

/**
 * Streams the multipart field `file` to disk, hashing it on the way: the server never holds a whole
 * report in memory. Anything over `maxBytes` is cut off and removed.
 */
export async function storeUpload(
  request: Readable & { headers: IncomingHttpHeaders },
  dir: string,
  maxBytes: number,
): Promise<UploadResult> {
  await mkdir(dir, { recursive: true });
  let busboy: Busboy.Busboy;
  try {
    busboy = Busboy({ headers: request.headers, limits: { files: 1, fileSize: maxBytes } });
  } catch (error) {
    return { kind: 'malformed', reason: (error as Error).message };
  }
  return new Promise<UploadResult>((resolve) => {
    let pending: Promise<UploadResult> | undefined;
    busboy.on('file', (field, stream, info) => {
      if (field !== 'file' || pending) {
        stream.resume();
        return;
      }
      pending = (async (): Promise<UploadResult> => {
        const path = join(dir, `upload-${randomUUID()}`);
        const hash = createHash('sha256');
        let bytes = 0;
        let truncated = false;
        stream.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          bytes += chunk.length;
        });
        stream.on('limit', () => {
          truncated = true;
        });
        try {
          await pipeline(stream, createWriteStream(path));
        } catch (error) {
          await rm(path, { force: true });
          return { kind: 'malformed', reason: (error as Error).message };
        }
        if (truncated) {
          await rm(path, { force: true });
          return { kind: 'too-large', limit: maxBytes };
        }
        return {
          kind: 'ok',
          upload: { path, filename: info.filename || 'report', bytes, sha256: hash.digest('hex') },
        };
      })();
    });
    busboy.on('close', () => resolve(pending ?? { kind: 'no-file' }));
    busboy.on('error', (error: Error) => resolve({ kind: 'malformed', reason: error.message }));
    request.on('aborted', () => resolve({ kind: 'malformed', reason: 'upload aborted by the client' }));
    request.pipe(busboy);
  });
}

/** Moves a stored upload to its final name (the import id). */
export async function keepUpload(upload: StoredUpload, path: string): Promise<StoredUpload> {
  await rename(upload.path, path);
  return { ...upload, path };
}

/** The first bytes of a file, to recognise encoding and dialect. */
export async function readHead(path: string, bytes = 64 * 1024): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
