import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname } from 'node:path';
import { finished, type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Busboy from 'busboy';
import { REPORT_HEAD_BYTES } from '../domain/recognise-report.ts';
import { storageFullReason } from '../domain/storage-full.ts';

/** The bytes of the head handed out for recognition (see REPORT_HEAD_BYTES). */
export const HEAD_BYTES = REPORT_HEAD_BYTES;

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
  /** The disk (or quota) filled up while the file was written: nothing of it is kept. */
  | { kind: 'storage-full'; reason: string }
  | { kind: 'no-file' };

/** The first bytes of the file part (enough to recognise a report), or how the upload ended without any. */
export type UploadHead =
  | { kind: 'ok'; head: Buffer; filename: string }
  | Exclude<UploadResult, { kind: 'ok' }>;

export interface IncomingUpload {
  /** Resolves once REPORT_HEAD_BYTES of the file have arrived (or the file part ended sooner). */
  head: Promise<UploadHead>;
  /** Resolves when the whole upload is on disk, hashed. */
  done: Promise<UploadResult>;
}

/**
 * Streams the multipart field `file` to `path`, hashing it on the way: the server never holds a whole
 * report in memory, and the import can start on the head while the rest is still arriving. Anything
 * over `maxBytes` is cut off and removed.
 */
export function receiveUpload(
  request: Readable & { headers: IncomingHttpHeaders },
  path: string,
  maxBytes: number,
): IncomingUpload {
  return receiving(path, async (announce) => {
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
        let truncated = false;
        stream.on('limit', () => {
          truncated = true;
        });
        const limit = { maxBytes, reached: () => truncated };
        pending = storeFile(stream, path, info.filename || 'report', announce, limit, {
          // A write that failed (a full disk) destroyed the file stream, and busboy would wait for it
          // forever: end the upload now, reading the rest of the body away so the client gets the answer.
          writeFailed(failed) {
            request.unpipe(busboy);
            request.resume();
            resolve(failed);
          },
        });
      });
      // A second file would be dropped unseen (the limit is one): the whole upload is refused instead.
      let second = false;
      busboy.on('filesLimit', () => {
        second = true;
      });
      busboy.on('close', () => {
        if (!second) resolve(pending ?? { kind: 'no-file' });
        else void refuseSecondFile(pending, path).then(resolve);
      });
      busboy.on('error', (error: Error) => resolve({ kind: 'malformed', reason: error.message }));
      request.on('aborted', () => resolve({ kind: 'malformed', reason: 'upload aborted by the client' }));
      request.pipe(busboy);
    });
  });
}

/**
 * The request's body is the report, named `filename`: what `curl -T report.csv` sends. No multipart
 * parsing, which cost ~0.5–0.8 s of the main thread per GiB (busboy's boundary search); otherwise as
 * receiveUpload.
 */
export function receiveBody(
  request: Readable & { headers: IncomingHttpHeaders },
  path: string,
  filename: string,
  maxBytes: number,
): IncomingUpload {
  return receiving(path, (announce) => {
    let truncated = false;
    let bytes = 0;
    // Bytes past the limit are read and dropped, as busboy does, so the client gets the 413.
    const limited = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        truncated ||= bytes > maxBytes;
        done(null, truncated ? undefined : chunk);
      },
    });
    request.on('aborted', () => limited.destroy(new Error('upload aborted by the client')));
    request.pipe(limited);
    return storeFile(
      limited,
      path,
      filename,
      announce,
      { maxBytes, reached: () => truncated },
      {
        writeFailed() {
          request.unpipe(limited);
          request.resume();
        },
      },
    );
  });
}

/** The upload held two files: the first one's stored bytes go. */
async function refuseSecondFile(
  first: Promise<UploadResult> | undefined,
  path: string,
): Promise<UploadResult> {
  await first;
  await rm(path, { force: true });
  return { kind: 'malformed', reason: 'the request holds more than one file: send one report per upload' };
}

/** Receives into `path` once its directory exists; whatever ends the upload also settles the head. */
function receiving(
  path: string,
  receive: (announce: (head: UploadHead) => void) => Promise<UploadResult>,
): IncomingUpload {
  let resolveHead: (head: UploadHead) => void = () => {};
  const head = new Promise<UploadHead>((resolve) => {
    resolveHead = resolve;
  });
  const done = mkdir(dirname(path), { recursive: true }).then(() => receive(resolveHead));
  void done.then((result) => resolveHead(result.kind === 'ok' ? { kind: 'no-file' } : result));
  return { head, done };
}

/** Writes the file's bytes to `path`, hashing them and announcing the head once REPORT_HEAD_BYTES arrived. */
async function storeFile(
  stream: Readable,
  path: string,
  filename: string,
  announce: (head: UploadHead) => void,
  limit: { maxBytes: number; reached(): boolean },
  on: { writeFailed(failed: UploadResult): void },
): Promise<UploadResult> {
  // Listened to at once: an await before this would leave a failing stream's error unhandled.
  const hash = createHash('sha256');
  const headChunks: Buffer[] = [];
  let bytes = 0;
  const file = createWriteStream(path);
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    if (bytes < REPORT_HEAD_BYTES) {
      headChunks.push(chunk);
      if (bytes + chunk.length >= REPORT_HEAD_BYTES) {
        announce({ kind: 'ok', head: Buffer.concat(headChunks).subarray(0, REPORT_HEAD_BYTES), filename });
      }
    }
    bytes += chunk.length;
  });
  try {
    await pipeline(stream, inBatches(file, WRITE_BYTES));
  } catch (error) {
    await rm(path, { force: true });
    const full = storageFullReason(error);
    const failed: UploadResult = full
      ? { kind: 'storage-full', reason: full }
      : { kind: 'malformed', reason: (error as Error).message };
    on.writeFailed(failed);
    return failed;
  }
  if (limit.reached()) {
    await rm(path, { force: true });
    return { kind: 'too-large', limit: limit.maxBytes };
  }
  announce({ kind: 'ok', head: Buffer.concat(headChunks), filename });
  return { kind: 'ok', upload: { path, filename, bytes, sha256: hash.digest('hex') } };
}

/** Bytes of the upload gathered before a write to its file. */
const WRITE_BYTES = 1 << 20;

/**
 * Hands the upload's 64 KiB socket reads to `file` ~1 MiB at a time, as one writev of those chunks:
 * each write is a hop to the thread pool and back, and a 1 GiB upload made 16k of them. Corked, the
 * chunks go out without being copied into one buffer first (that copy was ~0.4 s of the main thread
 * per GiB). The next batch is gathered while one is being written: waiting for each write before
 * reading on left the socket unread half the time. At most one batch is in flight, so the file's pace
 * is still the upload's; a failed write fails the next write or the end.
 */
function inBatches(file: Writable, bytes: number): Writable {
  let held: Buffer[] = [];
  let size = 0;
  let inFlight = false;
  let failed: Error | null = null;
  let afterWrite: (() => void) | undefined;
  const writeHeld = () => {
    const chunks = held;
    held = [];
    size = 0;
    inFlight = true;
    file.cork();
    for (let i = 0; i < chunks.length - 1; i++) file.write(chunks[i]);
    file.write(chunks.at(-1), (error) => {
      inFlight = false;
      failed ??= error ?? null;
      const next = afterWrite;
      afterWrite = undefined;
      next?.();
    });
    file.uncork();
  };
  /** Calls `then` once no batch is in flight, with the first write error if there was one. */
  const whenWritten = (then: (error: Error | null) => void) => {
    if (inFlight) afterWrite = () => then(failed);
    else then(failed);
  };
  // A failed write reaches the pipeline through its callback; the file's own error event has nothing to add.
  file.on('error', () => {});
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      held.push(chunk);
      size += chunk.length;
      if (size < bytes) return done(failed);
      whenWritten((error) => {
        if (!error) writeHeld();
        done(error);
      });
    },
    final(done) {
      whenWritten((error) => {
        if (error) return done(error);
        if (size > 0) writeHeld();
        whenWritten((last) => {
          if (last) return done(last);
          file.end();
          finished(file, (closed) => done(closed));
        });
      });
    },
    destroy(error, done) {
      file.destroy();
      done(error);
    },
  });
}
