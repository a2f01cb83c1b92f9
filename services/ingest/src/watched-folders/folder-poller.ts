import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@q2h/platform';
import type { ImportService } from '../import-service.ts';
import { importWatchedFile } from './import-watched-file.ts';
import {
  type FileObservation,
  filesStoppedGrowing,
  fileVersionKey,
  isTemporaryName,
} from './stable-files.ts';
import type { FileVersion, WatchedFolder, WatchedFolderStore } from './watched-folder-store.ts';

/** What the poller remembers of one folder between two listings (in memory: a restart relists twice). */
interface FolderMemory {
  seen: Map<string, FileObservation>;
  /** File versions settled in the store (imported, duplicate, rejected), key → file name: not claimed again. */
  settled: Map<string, string> | undefined;
}

/**
 * Lists every enabled watched folder every `intervalMs` (polling, not fs.watch: inotify sees nothing of
 * what other machines write to an NFS or SMB share) and imports each file that stopped growing, once.
 * Folders are read non-recursively. One scan runs at a time; a slow copy delays the next scan.
 */
export class FolderPoller {
  private readonly memory = new Map<string, FolderMemory>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: WatchedFolderStore;
      service: ImportService;
      uploadDir: string;
      /** Files over the upload limit are refused, as uploads are: they would be copied to the same disk. */
      maxBytes: number;
      intervalMs: number;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling; resolves when the scan in progress (and the copy it makes) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.scanning;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.scanning = this.scanAll()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'watched folders: scan failed'))
        .finally(() => {
          this.scanning = undefined;
          this.schedule(this.deps.intervalMs);
        });
    }, delay);
  }

  /** One pass over every enabled folder (exported for tests that drive the poller by hand). */
  async scanAll(): Promise<void> {
    const folders = await this.deps.store.enabled();
    const ids = new Set(folders.map((f) => f.id));
    // A disabled or deleted folder is forgotten: enabled again, it is listed twice before importing.
    for (const id of this.memory.keys()) if (!ids.has(id)) this.memory.delete(id);
    for (const folder of folders) {
      if (this.stopped) return;
      try {
        await this.scanFolder(folder);
      } catch (error) {
        // The store or the disk under the upload directory: say so on the folder, try again next time.
        this.deps.logger.error({ err: error, folder: folder.path }, 'watched folder: scan failed');
        await this.deps.store
          .recordError(folder, `scan failed: ${(error as Error).message}`)
          .catch(() => undefined);
      }
    }
  }

  private async scanFolder(folder: WatchedFolder): Promise<void> {
    const { store } = this.deps;
    const memory = this.memory.get(folder.id) ?? { seen: new Map(), settled: undefined };
    this.memory.set(folder.id, memory);
    const listedAt = new Date();
    let names: string[];
    try {
      // Names only: some network file systems report no entry type (DT_UNKNOWN), so stat decides below.
      names = (await readdir(folder.path)).filter((name) => !isTemporaryName(name));
    } catch (error) {
      memory.seen.clear();
      await store.recordScan(folder, listedAt, `cannot read the folder: ${(error as Error).message}`);
      return;
    }
    const seen = new Map<string, FileObservation>();
    for (const name of names) {
      const info = await stat(join(folder.path, name)).catch(() => undefined); // gone since the listing
      if (!info?.isFile() || info.size === 0) continue; // an empty file is a copy that has not started
      if (folder.ignoreBefore && info.mtimeMs < folder.ignoreBefore.getTime()) continue;
      seen.set(name, { size: info.size, mtimeMs: Math.floor(info.mtimeMs) });
    }
    const ready = filesStoppedGrowing(memory.seen, seen);
    memory.seen = seen;
    if (ready.length > 0) {
      memory.settled ??= new Map(
        (await store.settledVersions(folder.id)).map((v) => [fileVersionKey(v.name, v), v.name]),
      );
      for (const name of ready) {
        if (this.stopped) break;
        const observation = seen.get(name)!;
        const key = fileVersionKey(name, observation);
        if (memory.settled.has(key)) continue;
        const version = { tenant: folder.tenant, folderId: folder.id, name, ...observation };
        if (await this.importOnce(folder, version, observation)) memory.settled.set(key, name);
      }
    }
    // Forget settled versions of files no longer there; the store still knows them if they come back.
    if (memory.settled) {
      for (const [key, name] of memory.settled) if (!seen.has(name)) memory.settled.delete(key);
    }
    await store.recordScan(folder, listedAt);
  }

  /** Claims and imports one file version; true when it is settled (by this poller or another). */
  private async importOnce(
    folder: WatchedFolder,
    version: FileVersion,
    observation: FileObservation,
  ): Promise<boolean> {
    const { store, service, uploadDir, maxBytes } = this.deps;
    const claim = await store.claim(version);
    if (claim !== 'won') return claim === 'settled';
    const log = this.deps.logger.child({ folder: folder.path, file: version.name });
    let result: Awaited<ReturnType<typeof importWatchedFile>>;
    try {
      result = await importWatchedFile(
        service,
        {
          tenant: folder.tenant,
          path: join(folder.path, version.name),
          name: version.name,
          seen: observation,
        },
        { uploadDir, maxBytes },
      );
    } catch (error) {
      const message = (error as Error).message;
      log.warn({ err: error }, 'watched file: could not be imported, will retry');
      await store.release(version);
      await store.recordError(folder, `${version.name}: not imported yet, will retry: ${message}`);
      return false;
    }
    switch (result.kind) {
      case 'imported':
        log.info({ importId: result.importId }, 'watched file: imported');
        await store.settle(version, { status: 'imported', importId: result.importId, sha256: result.sha256 });
        return true;
      case 'duplicate':
        log.info({ importId: result.importId }, 'watched file: same content imported before');
        await store.settle(version, {
          status: 'duplicate',
          importId: result.importId,
          sha256: result.sha256,
        });
        return true;
      case 'rejected':
        log.warn({ reason: result.reason }, 'watched file: not a report q2h reads');
        await store.settle(version, { status: 'rejected', reason: result.reason });
        await store.recordError(folder, `${version.name}: ${result.reason}`);
        return true;
      case 'changed':
        log.info('watched file: changed while being copied, waiting for it to settle');
        await store.settle(version, { status: 'changed' });
        return true;
    }
  }
}
