import { randomBytes } from 'node:crypto';
import { type Migration, migrate, type Relational } from '@q2h/relational';

/** The ingest service's own tables: watched folders and every file version they handled. */
const migrations: Migration[] = [
  {
    name: '0001_watched_folders',
    up: async (db) => {
      await db.schema.createTable('watched_folders', (t) => {
        t.string('tenant').notNullable();
        t.string('id').notNullable();
        t.text('path').notNullable();
        t.boolean('enabled').notNullable();
        t.timestamp('ignore_before', { useTz: true });
        t.string('created_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.timestamp('last_scan_at', { useTz: true });
        /** null: not listed yet; 'ok'; 'unreadable': the last listing failed (last_error says why). */
        t.string('scan_status');
        t.text('last_error');
        t.timestamp('last_error_at', { useTz: true });
        t.primary(['tenant', 'id']);
        t.unique(['tenant', 'path']);
      });
      await db.schema.createTable('watched_files', (t) => {
        t.string('tenant').notNullable();
        t.string('folder_id').notNullable();
        t.text('name').notNullable();
        t.bigInteger('size').notNullable();
        t.bigInteger('mtime_ms').notNullable();
        /** importing (claimed by a poller) → imported | duplicate | rejected | changed. */
        t.string('status').notNullable();
        t.string('sha256');
        t.string('import_id');
        t.text('reason');
        t.timestamp('claimed_at', { useTz: true }).notNullable();
        t.timestamp('finished_at', { useTz: true });
        // One row per version of a file: the insert that creates it is the claim (several pollers).
        t.primary(['folder_id', 'name', 'size', 'mtime_ms']);
        t.index(['tenant', 'folder_id', 'claimed_at']);
      });
    },
  },
];

export type ScanStatus = 'ok' | 'unreadable';
export type FileOutcome = 'importing' | 'imported' | 'duplicate' | 'rejected' | 'changed';

export interface WatchedFolder {
  tenant: string;
  id: string;
  path: string;
  enabled: boolean;
  ignoreBefore: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  lastScanAt: Date | null;
  scanStatus: ScanStatus | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

export interface WatchedFile {
  folderId: string;
  name: string;
  size: number;
  mtimeMs: number;
  status: FileOutcome;
  sha256: string | null;
  importId: string | null;
  reason: string | null;
  claimedAt: Date;
  finishedAt: Date | null;
}

/** One version of one file of a folder: what a claim is about. */
export interface FileVersion {
  tenant: string;
  folderId: string;
  name: string;
  size: number;
  mtimeMs: number;
}

interface FolderRow {
  tenant: string;
  id: string;
  path: string;
  enabled: boolean;
  ignore_before: Date | string | null;
  created_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  last_scan_at: Date | string | null;
  scan_status: ScanStatus | null;
  last_error: string | null;
  last_error_at: Date | string | null;
}

interface FileRow {
  folder_id: string;
  name: string;
  size: string | number;
  mtime_ms: string | number;
  status: FileOutcome;
  sha256: string | null;
  import_id: string | null;
  reason: string | null;
  claimed_at: Date | string;
  finished_at: Date | string | null;
}

const date = (v: Date | string) => new Date(v);
const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

function toFolder(row: FolderRow): WatchedFolder {
  return {
    tenant: row.tenant,
    id: row.id,
    path: row.path,
    enabled: row.enabled,
    ignoreBefore: dateOrNull(row.ignore_before),
    createdBy: row.created_by,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    lastScanAt: dateOrNull(row.last_scan_at),
    scanStatus: row.scan_status,
    lastError: row.last_error,
    lastErrorAt: dateOrNull(row.last_error_at),
  };
}

function toFile(row: FileRow): WatchedFile {
  return {
    folderId: row.folder_id,
    name: row.name,
    size: Number(row.size),
    mtimeMs: Number(row.mtime_ms),
    status: row.status,
    sha256: row.sha256,
    importId: row.import_id,
    reason: row.reason,
    claimedAt: date(row.claimed_at),
    finishedAt: dateOrNull(row.finished_at),
  };
}

const versionWhere = (v: FileVersion) => ({
  folder_id: v.folderId,
  name: v.name,
  size: v.size,
  mtime_ms: v.mtimeMs,
});

/**
 * A claim nobody finished in this long is taken over: its poller died while copying. Generous, because
 * copying a 2 GB export off a slow share takes minutes and a live claim must not be taken twice.
 */
export const STALE_CLAIM_MS = 30 * 60 * 1000;

/** Watched folders and their files in the relational store (PGlite embedded, PostgreSQL distributed). */
export class WatchedFolderStore {
  constructor(private readonly db: Relational) {}

  async migrate(): Promise<void> {
    await migrate(this.db, migrations, 'ingest_migrations');
  }

  async list(tenant: string): Promise<WatchedFolder[]> {
    const rows = await this.db<FolderRow>('watched_folders').where({ tenant }).orderBy('created_at');
    return rows.map(toFolder);
  }

  async get(tenant: string, id: string): Promise<WatchedFolder | undefined> {
    const row = await this.db<FolderRow>('watched_folders').where({ tenant, id }).first();
    return row ? toFolder(row) : undefined;
  }

  /** Every enabled folder of every tenant: what the poller lists. */
  async enabled(): Promise<WatchedFolder[]> {
    const rows = await this.db<FolderRow>('watched_folders').where({ enabled: true }).orderBy('created_at');
    return rows.map(toFolder);
  }

  /** The new folder, or undefined when the tenant watches this path already. */
  async create(folder: {
    tenant: string;
    path: string;
    enabled: boolean;
    ignoreBefore: Date | null;
    createdBy: string;
  }): Promise<WatchedFolder | undefined> {
    const now = new Date();
    const rows = await this.db<FolderRow>('watched_folders')
      .insert({
        tenant: folder.tenant,
        id: randomBytes(12).toString('hex'),
        path: folder.path,
        enabled: folder.enabled,
        ignore_before: folder.ignoreBefore,
        created_by: folder.createdBy,
        created_at: now,
        updated_at: now,
      })
      .onConflict(['tenant', 'path'])
      .ignore()
      .returning('*');
    const row = rows[0] as FolderRow | undefined;
    return row ? toFolder(row) : undefined;
  }

  /** Editing a folder clears its last error: the admin has seen it, the next scans say what is still wrong. */
  async update(
    tenant: string,
    id: string,
    change: { enabled?: boolean; ignoreBefore?: Date | null },
  ): Promise<WatchedFolder | undefined> {
    const rows = await this.db<FolderRow>('watched_folders')
      .where({ tenant, id })
      .update({
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        ...(change.ignoreBefore !== undefined ? { ignore_before: change.ignoreBefore } : {}),
        updated_at: new Date(),
        last_error: null,
        last_error_at: null,
      })
      .returning('*');
    const row = rows[0] as FolderRow | undefined;
    return row ? toFolder(row) : undefined;
  }

  /** Forgets the folder and its files; the imports it produced stay (delete them under Imports). */
  async remove(tenant: string, id: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      await trx('watched_files').where({ tenant, folder_id: id }).delete();
      return (await trx('watched_folders').where({ tenant, id }).delete()) > 0;
    });
  }

  async recordScan(folder: WatchedFolder, at: Date, unreadable?: string): Promise<void> {
    await this.db('watched_folders')
      .where({ tenant: folder.tenant, id: folder.id })
      .update({
        last_scan_at: at,
        scan_status: unreadable === undefined ? 'ok' : 'unreadable',
        ...(unreadable === undefined ? {} : { last_error: unreadable, last_error_at: at }),
      });
  }

  async recordError(folder: WatchedFolder, message: string, at = new Date()): Promise<void> {
    await this.db('watched_folders')
      .where({ tenant: folder.tenant, id: folder.id })
      .update({ last_error: message, last_error_at: at });
  }

  /** The folder's file versions that are settled: nothing more to do for them. */
  async settledVersions(folderId: string): Promise<{ name: string; size: number; mtimeMs: number }[]> {
    const rows = await this.db<FileRow>('watched_files')
      .where({ folder_id: folderId })
      .whereNot({ status: 'importing' })
      .select('name', 'size', 'mtime_ms');
    return rows.map((r) => ({ name: r.name, size: Number(r.size), mtimeMs: Number(r.mtime_ms) }));
  }

  /**
   * Claims a file version for this poller: 'won' (import it), 'settled' (handled before), or 'busy'
   * (another poller is on it). The insert is the lock: with several ingest replicas only one wins.
   */
  async claim(version: FileVersion, now = new Date()): Promise<'won' | 'settled' | 'busy'> {
    const inserted = await this.db('watched_files')
      .insert({
        tenant: version.tenant,
        ...versionWhere(version),
        status: 'importing',
        claimed_at: now,
      })
      .onConflict(['folder_id', 'name', 'size', 'mtime_ms'])
      .ignore()
      .returning('name');
    if (inserted.length > 0) return 'won';
    const takenOver = await this.db('watched_files')
      .where(versionWhere(version))
      .andWhere('status', 'importing')
      .andWhere('claimed_at', '<', new Date(now.getTime() - STALE_CLAIM_MS))
      .update({ claimed_at: now })
      .returning('name');
    if (takenOver.length > 0) return 'won';
    const row = await this.db<FileRow>('watched_files').where(versionWhere(version)).first('status');
    return row?.status === 'importing' ? 'busy' : 'settled';
  }

  async settle(
    version: FileVersion,
    outcome: {
      status: Exclude<FileOutcome, 'importing'>;
      sha256?: string;
      importId?: string;
      reason?: string;
    },
  ): Promise<void> {
    await this.db('watched_files')
      .where(versionWhere(version))
      .update({
        status: outcome.status,
        sha256: outcome.sha256 ?? null,
        import_id: outcome.importId ?? null,
        reason: outcome.reason ?? null,
        finished_at: new Date(),
      });
  }

  /** Gives a claim back (the file could not be read): the next listings try again. */
  async release(version: FileVersion): Promise<void> {
    await this.db('watched_files').where(versionWhere(version)).andWhere('status', 'importing').delete();
  }

  /** The newest file versions of each folder (changed ones left out: a later version followed). */
  async recentFiles(tenant: string, folderIds: readonly string[], perFolder: number): Promise<WatchedFile[]> {
    if (folderIds.length === 0) return [];
    const ranked = this.db('watched_files')
      .where({ tenant })
      .whereIn('folder_id', folderIds)
      .whereNot({ status: 'changed' })
      .select(
        '*',
        this.db.raw('row_number() over (partition by folder_id order by claimed_at desc, name) as rank'),
      )
      .as('ranked');
    const rows = await this.db
      .from(ranked)
      .where('rank', '<=', perFolder)
      .orderBy([{ column: 'folder_id' }, { column: 'claimed_at', order: 'desc' }]);
    return (rows as FileRow[]).map(toFile);
  }

  /** How many file versions of each folder ended how. */
  async outcomeCounts(
    tenant: string,
    folderIds: readonly string[],
  ): Promise<Map<string, Partial<Record<FileOutcome, number>>>> {
    const counts = new Map<string, Partial<Record<FileOutcome, number>>>();
    if (folderIds.length === 0) return counts;
    const rows = (await this.db('watched_files')
      .where({ tenant })
      .whereIn('folder_id', folderIds)
      .groupBy('folder_id', 'status')
      .select('folder_id', 'status')
      .count({ n: '*' })) as { folder_id: string; status: FileOutcome; n: string | number }[];
    for (const row of rows) {
      const entry = counts.get(row.folder_id) ?? {};
      entry[row.status] = Number(row.n);
      counts.set(row.folder_id, entry);
    }
    return counts;
  }
}
