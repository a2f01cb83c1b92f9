/**
 * The append-only files that hold the embedded log's record batches (the LMDB environment holds only
 * where each batch is). Read with pread, their pages stay in the kernel's page cache instead of the
 * process's memory map: every page of LMDB's map that was read back counted in the server's RSS for
 * good (~65 MB per GiB of report), and lmdb-js has no way to let go of them (ADR 0002).
 *
 * Which file and offset a batch goes to is decided inside the LMDB write transaction, so writers in
 * several threads or processes never overlap; bytes written by a transaction that then aborts are left
 * unreferenced and overwritten by the next append.
 */
import { Buffer } from 'node:buffer';
import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);

/** A file is closed for appends once it would grow past this; the next one starts. */
export const SEGMENT_BYTES = 1 << 30;

export class SegmentFiles {
  private readonly fds = new Map<number, number>();
  /** Files written since their last fdatasync. */
  private readonly unsynced = new Set<number>();
  /** The latest sync, running or waiting for the one before it; the one not started yet. */
  private last: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes `bytes` at `position` of file `segment` (synchronously: it is called inside a write transaction). */
  write(segment: number, position: number, bytes: Uint8Array): void {
    const fd = this.fd(segment);
    for (let done = 0; done < bytes.length; ) {
      done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    }
    this.unsynced.add(segment);
  }

  /** The `length` bytes at `position` of file `segment`, in a buffer of their own. */
  read(segment: number, position: number, length: number): Buffer {
    const fd = this.fd(segment);
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, bytes, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    if (done < length) {
      throw new Error(
        `event-log: segment ${segment} ends at ${position + done}, before its batch at ${position} (+${length})`,
      );
    }
    return bytes;
  }

  /** Size of file `segment` on disk (0 when it does not exist). */
  size(segment: number): number {
    return fstatSync(this.fd(segment)).size;
  }

  /**
   * Resolves once every write made before the call is on disk. Syncs run one after another, and calls
   * that arrive before the next one starts share it: one fdatasync per file for any number of publishes.
   */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.last
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.syncNow();
      });
    this.queued = next;
    this.last = next;
    return next;
  }

  async close(): Promise<void> {
    await this.last.catch(() => undefined);
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private async syncNow(): Promise<void> {
    const segments = [...this.unsynced];
    this.unsynced.clear();
    try {
      await Promise.all(segments.map((segment) => fdatasyncAsync(this.fd(segment))));
    } catch (error) {
      for (const segment of segments) this.unsynced.add(segment);
      throw error;
    }
  }

  private fd(segment: number): number {
    let fd = this.fds.get(segment);
    if (fd === undefined) {
      const name = join(this.dir, `${String(segment).padStart(8, '0')}.log`);
      fd = openSync(name, constants.O_RDWR | constants.O_CREAT, 0o644);
      this.fds.set(segment, fd);
    }
    return fd;
  }
}
