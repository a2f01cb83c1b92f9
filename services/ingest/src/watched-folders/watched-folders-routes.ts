import { ProblemError, problem } from '@q2h/platform';
import express, { Router } from 'express';
import { z } from 'zod';
import { checkFolderPath } from './folder-path.ts';
import type { WatchedFile, WatchedFolder, WatchedFolderStore } from './watched-folder-store.ts';

/** What the catalog says of an import a watched file produced (the ingest target does not keep it). */
export type DescribeImport = (
  tenant: string,
  id: string,
) => Promise<{ status: string; filename?: string; findings?: number } | undefined>;

const RECENT_FILES = 20;

/** A date (midnight UTC) or a date-time with its offset. */
const Instant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'a date (2026-01-31) or a date-time with offset (2026-01-31T08:00:00Z)',
  })
  .transform((v) => new Date(v));

const CreateFolder = z.strictObject({
  path: z.string().min(1).max(4096),
  enabled: z.boolean().default(true),
  ignoreBefore: Instant.nullable().optional(),
});

const ChangeFolder = z.strictObject(
  {
    enabled: z.boolean().optional(),
    ignoreBefore: Instant.nullable().optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'only enabled and ignoreBefore can change' : undefined,
  },
);

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : '');
    throw new ProblemError(
      problem(400, 'invalid-body', `${field || 'body'}: ${issue?.message}`, field ? { field } : {}),
    );
  }
  return parsed.data;
}

type FolderStatus = 'disabled' | 'waiting' | 'watching' | 'unreadable';

function statusOf(folder: WatchedFolder): FolderStatus {
  if (!folder.enabled) return 'disabled';
  if (folder.scanStatus === null) return 'waiting';
  return folder.scanStatus === 'unreadable' ? 'unreadable' : 'watching';
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/**
 * /watched-folders: admins add, list, change and remove the folders the ingest target polls. Mount it
 * behind authentication and requireRole('admin'); the folder belongs to the admin's tenant.
 */
export function watchedFoldersRouter(deps: {
  store: WatchedFolderStore;
  describeImport: DescribeImport;
}): Router {
  const { store } = deps;
  const router = Router();
  router.use('/watched-folders', (req, _res, next) => {
    if (!req.principal?.roles.includes('admin')) {
      throw new ProblemError(problem(403, 'forbidden', 'watched folders are for the admin role'));
    }
    next();
  });

  async function views(tenant: string, folders: WatchedFolder[]) {
    const ids = folders.map((f) => f.id);
    const [files, counts] = await Promise.all([
      store.recentFiles(tenant, ids, RECENT_FILES),
      store.outcomeCounts(tenant, ids),
    ]);
    const imports = new Map<string, Awaited<ReturnType<DescribeImport>>>();
    for (const id of new Set(files.flatMap((f) => (f.importId ? [f.importId] : [])))) {
      imports.set(id, await deps.describeImport(tenant, id));
    }
    const fileView = (f: WatchedFile) => {
      const found = f.importId ? imports.get(f.importId) : undefined;
      return {
        name: f.name,
        size: f.size,
        modifiedAt: new Date(f.mtimeMs).toISOString(),
        outcome: f.status,
        reason: f.reason,
        importId: f.importId,
        // 'accepted' until the catalog has caught up with the import
        import: f.importId
          ? {
              status: found?.status ?? 'accepted',
              filename: found?.filename ?? null,
              findings: found?.findings ?? null,
            }
          : null,
        handledAt: iso(f.finishedAt ?? f.claimedAt),
      };
    };
    return folders.map((folder) => ({
      id: folder.id,
      path: folder.path,
      enabled: folder.enabled,
      ignoreBefore: iso(folder.ignoreBefore),
      status: statusOf(folder),
      createdAt: iso(folder.createdAt),
      createdBy: folder.createdBy,
      lastScanAt: iso(folder.lastScanAt),
      lastError: folder.lastError,
      lastErrorAt: iso(folder.lastErrorAt),
      counts: {
        imported: counts.get(folder.id)?.imported ?? 0,
        duplicate: counts.get(folder.id)?.duplicate ?? 0,
        rejected: counts.get(folder.id)?.rejected ?? 0,
      },
      recentFiles: files.filter((f) => f.folderId === folder.id).map(fileView),
    }));
  }

  async function found(tenant: string, id: string): Promise<WatchedFolder> {
    const folder = await store.get(tenant, id);
    if (!folder) throw new ProblemError(problem(404, 'watched-folder-not-found', `no watched folder ${id}`));
    return folder;
  }

  router.get('/watched-folders', async (req, res) => {
    const tenant = req.principal!.tenant;
    res.json({ items: await views(tenant, await store.list(tenant)) });
  });

  router.get('/watched-folders/:id', async (req, res) => {
    const tenant = req.principal!.tenant;
    const [view] = await views(tenant, [await found(tenant, req.params.id)]);
    res.json(view);
  });

  router.post('/watched-folders', express.json({ limit: '16kb' }), async (req, res) => {
    const { tenant, username } = req.principal!;
    const body = parse(CreateFolder, req.body);
    const checked = await checkFolderPath(body.path);
    if (checked.kind === 'invalid') {
      throw new ProblemError(problem(400, 'invalid-folder', checked.reason, { field: 'path' }));
    }
    const folder = await store.create({
      tenant,
      path: checked.path,
      enabled: body.enabled,
      ignoreBefore: body.ignoreBefore ?? null,
      createdBy: username,
    });
    if (!folder) {
      throw new ProblemError(
        problem(409, 'folder-already-watched', `${checked.path} is watched already`, { field: 'path' }),
      );
    }
    req.log?.info({ folder: folder.path, by: username }, 'watched folder added');
    const [view] = await views(tenant, [folder]);
    res.status(201).location(`/api/watched-folders/${folder.id}`).json(view);
  });

  router.patch('/watched-folders/:id', express.json({ limit: '16kb' }), async (req, res) => {
    const { tenant, username } = req.principal!;
    const change = parse(ChangeFolder, req.body);
    const folder = await store.update(tenant, req.params.id, change);
    if (!folder)
      throw new ProblemError(problem(404, 'watched-folder-not-found', `no watched folder ${req.params.id}`));
    req.log?.info({ folder: folder.path, by: username, change }, 'watched folder changed');
    const [view] = await views(tenant, [folder]);
    res.json(view);
  });

  router.delete('/watched-folders/:id', async (req, res) => {
    const { tenant, username } = req.principal!;
    const folder = await found(tenant, req.params.id);
    await store.remove(tenant, folder.id);
    req.log?.info({ folder: folder.path, by: username }, 'watched folder removed');
    res.status(204).end();
  });

  return router;
}
