import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { openChdbAnalytics } from '@q2h/analytics';
import { createSerde, localSchemaIds } from '@q2h/contracts';
import { openLmdbEventLog } from '@q2h/event-log';
import { startExport } from '@q2h/export';
import { LocalAccounts, openLocalTokenIssuer } from '@q2h/identity';
import { importWorkers, startIngest, startWatchedFolders } from '@q2h/ingest';
import {
  type Config,
  createHttpApp,
  createLogger,
  createMetrics,
  type Logger,
  listen,
  problemHandlers,
} from '@q2h/platform';
import { startProjector, startQuery } from '@q2h/query';
import { openPgliteRelational } from '@q2h/relational';
import express from 'express';
import { authRoutes } from './http/auth-routes.ts';
import { authenticate, requireRole } from './http/authenticate.ts';
import { openApiDocument } from './http/openapi.ts';
import { staticWeb } from './http/static-web.ts';
import { topicLayout } from './topic-layout.ts';

export interface RunningQ2h {
  server: Server;
  url: string;
  /** Set when the bootstrap admin was created now with a generated password (printed once). */
  generatedAdminPassword: string | undefined;
  /** Local accounts (user administration has no API yet: tests and operators' scripts use this). */
  accounts: LocalAccounts;
  /** Resolves when every import in flight has been parsed and published. */
  importsIdle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Embedded mode's composition root: every target in one process, backends on local disk under
 * Q2H_DATA_DIR (event log on LMDB, analytics on chDB, relational on PGlite). The only place that
 * chooses adapters.
 */
export async function startEmbedded(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningQ2h> {
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const metrics = createMetrics();
  const serde = createSerde(localSchemaIds);
  const eventLogPath = join(dataDir, 'event-log');
  const log = await openLmdbEventLog({ path: eventLogPath });
  await log.ensureTopics(topicLayout('embedded'));
  const analytics = await openChdbAnalytics(join(dataDir, 'analytics'));
  const relational = openPgliteRelational(join(dataDir, 'relational'));

  const accounts = new LocalAccounts(relational);
  await accounts.migrate();
  const generatedAdminPassword =
    config.adminPassword || config.adminInitialPassword ? undefined : randomBytes(9).toString('base64url');
  const created = await accounts.ensureAdmin(config.tenant, {
    password: config.adminPassword,
    initialPassword: config.adminInitialPassword ?? generatedAdminPassword ?? '',
  });
  const issuer = await openLocalTokenIssuer(join(dataDir, 'secrets', 'jwt-signing-key.pem'));

  const query = await startQuery({ analytics, relational, logger, metrics });
  const projector = await startProjector(config, { log, serde, analytics, relational, logger, metrics });
  const workers = importWorkers({ kind: 'lmdb', path: eventLogPath });
  const ingest = startIngest(config, {
    log,
    serde,
    logger,
    metrics,
    runner: workers.run,
    lookup: (tenant, sha256) => query.catalog.bySha256(tenant, sha256),
    findImport: (tenant, id) => query.catalog.get(tenant, id),
  });
  const watchedFolders = await startWatchedFolders(config, {
    relational,
    service: ingest.service,
    describeImport: (tenant, id) => query.catalog.get(tenant, id),
    logger,
  });
  const lagTimer = setInterval(async () => {
    for (const [topic, lag] of Object.entries(await projector.lag().catch(() => ({})))) {
      metrics.projectionLag.set({ topic }, lag);
    }
  }, 2000);
  lagTimer.unref();

  const app = createHttpApp({
    logger,
    metrics,
    readiness: [
      async () => ({ name: 'analytics', ok: await analytics.ping() }),
      async () => ({ name: 'relational', ok: (await relational.raw('select 1')) !== undefined }),
      async () => ({ name: 'event-log', ok: (await projector.lag()) !== undefined }),
    ],
  });
  const auth = authRoutes({ accounts, issuer, tenant: config.tenant, ttlMinutes: config.tokenTtlMinutes });
  const api = express.Router();
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  api.use(auth.publicRouter);
  api.use(authenticate(issuer.verifier, config.tenants));
  api.use(auth.router);
  api.post('/imports', requireRole('admin', 'analyst'));
  api.delete('/imports/:id', requireRole('admin', 'analyst'));
  api.use('/uploads', requireRole('admin', 'analyst'));
  api.use(ingest.router);
  api.use('/watched-folders', requireRole('admin'));
  api.use(watchedFolders.router);
  api.use(requireRole('admin', 'analyst', 'viewer'), query.router, startExport({ analytics }).router);
  app.use('/api', api);
  app.use(staticWeb());
  app.use(...problemHandlers(logger));

  const { server, port } = await listen(app, config.port, config.host);

  return {
    server,
    url: `http://localhost:${port}`,
    generatedAdminPassword: created ? generatedAdminPassword : undefined,
    accounts,
    importsIdle: () => ingest.service.idle(),
    async close() {
      clearInterval(lagTimer);
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await watchedFolders.stop();
      await ingest.service.idle();
      await workers.close();
      await projector.stop();
      await log.close();
      await relational.destroy();
      await analytics.close();
    },
  };
}
