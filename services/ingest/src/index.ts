import { join } from 'node:path';
import type { Serde } from '@q2h/contracts';
import type { EventLog } from '@q2h/event-log';
import type { Config, Logger, Metrics } from '@q2h/platform';
import type { Relational } from '@q2h/relational';
import { Router } from 'express';
import { logEventPublisher } from './adapters/log-event-publisher.ts';
import type { ImportRunner } from './adapters/run-import-in-worker.ts';
import { importsRouter } from './http/imports-routes.ts';
import { resumableUploadRouter } from './http/resumable-upload-routes.ts';
import { type FindImport, retractRouter } from './http/retract-routes.ts';
import { type ImportLookup, ImportService } from './import-service.ts';
import { FolderPoller } from './watched-folders/folder-poller.ts';
import { WatchedFolderStore } from './watched-folders/watched-folder-store.ts';
import { type DescribeImport, watchedFoldersRouter } from './watched-folders/watched-folders-routes.ts';

export { type ImportWorkers, importWorkers } from './adapters/run-import-in-worker.ts';
export type { ImportLookup, ImportStatus } from './import-service.ts';
export { ImportService, newImportId } from './import-service.ts';
export type { DescribeImport } from './watched-folders/watched-folders-routes.ts';

/** The ingest target: the upload routes (one request, or resumable) and the import jobs behind them. */
export function startIngest(
  config: Config,
  deps: {
    log: EventLog;
    serde: Serde;
    runner: ImportRunner;
    lookup: ImportLookup;
    findImport: FindImport;
    logger: Logger;
    metrics: Metrics;
  },
) {
  const publisher = logEventPublisher(deps.log, deps.serde, deps.metrics);
  const service = new ImportService({
    publisher,
    runner: deps.runner,
    lookup: deps.lookup,
    logger: deps.logger.child({ target: 'ingest' }),
    metrics: deps.metrics,
  });
  const uploads = { uploadDir: join(config.dataDir, 'uploads'), maxUploadBytes: config.maxUploadBytes };
  const router = Router().use(
    importsRouter(service, uploads),
    resumableUploadRouter(service, uploads),
    retractRouter({
      publisher,
      findImport: deps.findImport,
      cancelRunning: (tenant, id) => service.cancel(tenant, id),
    }),
  );
  return { router, service };
}

/**
 * Watched folders (in the ingest target): the admin API under /watched-folders (mount it behind
 * authentication and requireRole('admin')) and the poller that imports what lands in them through
 * `service`, like uploads. Call stop() before waiting for the service to be idle.
 */
export async function startWatchedFolders(
  config: Config,
  deps: { relational: Relational; service: ImportService; describeImport: DescribeImport; logger: Logger },
) {
  const store = new WatchedFolderStore(deps.relational);
  await store.migrate();
  const poller = new FolderPoller({
    store,
    service: deps.service,
    uploadDir: join(config.dataDir, 'uploads'),
    maxBytes: config.maxUploadBytes,
    intervalMs: config.watchIntervalMs,
    logger: deps.logger.child({ target: 'ingest', component: 'watched-folders' }),
  });
  poller.start();
  return {
    router: watchedFoldersRouter({ store, describeImport: deps.describeImport }),
    stop: () => poller.stop(),
  };
}
