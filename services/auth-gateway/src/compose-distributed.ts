import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { type Analytics, openChdbAnalytics, openHttpAnalytics } from '@q2h/analytics';
import { createSerde, type Serde } from '@q2h/contracts';
import { registerTopicSchemas } from '@q2h/contracts/registry';
import { type EventLog, openKafkaEventLog } from '@q2h/event-log';
import { startExport } from '@q2h/export';
import { keycloakVerifier, oidcLogin } from '@q2h/identity';
import { importWorkers, startIngest, startWatchedFolders } from '@q2h/ingest';
import {
  type Config,
  createHttpApp,
  createLogger,
  createMetrics,
  type Logger,
  listen,
  problemHandlers,
  type Target,
} from '@q2h/platform';
import { ImportCatalog, startProjector, startQuery } from '@q2h/query';
import { openPostgresRelational, type Relational } from '@q2h/relational';
import express from 'express';
import { SessionStore } from './adapters/session-store.ts';
import { authenticate, requireRole } from './http/authenticate.ts';
import { openApiDocument } from './http/openapi.ts';
import { proxyTo } from './http/proxy.ts';
import { ssoRoutes } from './http/sso-routes.ts';
import { staticWeb } from './http/static-web.ts';
import { topicLayout } from './topic-layout.ts';

export interface RunningTargets {
  server: Server;
  url: string;
  targets: Target[];
  close(): Promise<void>;
}

/** A setting distributed mode cannot run without: named, so the operator sees which. */
export class MissingSetting extends Error {}

function required<T>(value: T | undefined, name: string, targets: Target[]): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new MissingSetting(`${name} is required to run ${targets.join(',')}`);
  }
  return value;
}

/** `chdb:<path>` runs the ClickHouse engine in process (one process only); else a ClickHouse server URL. */
async function openAnalytics(url: string, dataDir: string): Promise<Analytics> {
  if (url.startsWith('chdb:')) return openChdbAnalytics(resolve(dataDir, url.slice('chdb:'.length)));
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '') || undefined;
  return openHttpAnalytics({
    url: parsed.origin,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(database ? { database } : {}),
  });
}

/**
 * Distributed mode's composition root: the targets named in Q2H_TARGETS in this process, on the shared
 * backends (Kafka + schema registry, ClickHouse, PostgreSQL, Keycloak). Targets that run elsewhere are
 * reached through the gateway's proxy. Every target verifies the bearer token itself (Keycloak JWKS).
 */
export async function startDistributed(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningTargets> {
  const { targets, distributed: d } = config;
  const runs = (...names: Target[]) => names.some((t) => targets.includes(t));
  const oidc = required(d.oidc, 'Q2H_OIDC_ISSUER', targets);
  const metrics = createMetrics();
  const verifier = keycloakVerifier({ issuer: oidc.issuer, audience: oidc.audience });
  const closers: (() => Promise<void>)[] = [];

  let relational: Relational | undefined;
  if (runs('gateway', 'ingest', 'projector', 'query')) {
    const db = openPostgresRelational(required(d.postgresUrl, 'Q2H_POSTGRES_URL', targets));
    relational = db;
    closers.push(() => db.destroy());
  }
  let analytics: Analytics | undefined;
  if (runs('projector', 'query', 'export')) {
    const opened = await openAnalytics(
      required(d.clickhouseUrl, 'Q2H_CLICKHOUSE_URL', targets),
      config.dataDir,
    );
    analytics = opened;
    closers.push(() => opened.close());
  }
  let log: EventLog | undefined;
  let serde: Serde | undefined;
  if (runs('ingest', 'projector')) {
    const brokers = required(d.kafkaBrokers, 'Q2H_KAFKA_BROKERS', targets);
    const opened = await openKafkaEventLog({ brokers, clientId: `q2h-${targets.join('-')}` });
    log = opened;
    closers.unshift(() => opened.close());
    await opened.ensureTopics(topicLayout('distributed'));
    serde = createSerde(
      await registerTopicSchemas(required(d.schemaRegistryUrl, 'Q2H_SCHEMA_REGISTRY_URL', targets)),
    );
  }

  const api = express.Router();
  const readiness = [];
  if (relational) {
    const db = relational;
    readiness.push(async () => ({ name: 'postgres', ok: (await db.raw('select 1')) !== undefined }));
  }
  if (analytics) {
    const a = analytics;
    readiness.push(async () => ({ name: 'clickhouse', ok: await a.ping() }));
  }
  const app = createHttpApp({ logger, metrics, readiness });

  if (runs('gateway')) {
    const sessions = new SessionStore(required(relational, 'Q2H_POSTGRES_URL', targets));
    await sessions.migrate();
    const publicUrl = (d.publicUrl ?? `http://localhost:${config.port}`).replace(/\/$/, '');
    const login = oidcLogin({
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      ...(oidc.clientSecret ? { clientSecret: oidc.clientSecret } : {}),
      redirectUri: `${publicUrl}/api/auth/callback`,
      allowHttp: oidc.issuer.startsWith('http:'),
    });
    api.get('/openapi.json', (_req, res) => {
      res.json(openApiDocument);
    });
    api.use(ssoRoutes({ login, sessions, verifier, secureCookies: publicUrl.startsWith('https:') }));
  }
  api.use(authenticate(verifier, config.tenants));
  if (runs('gateway')) {
    api.get('/me', (req, res) => {
      const { username, roles, tenant } = req.principal!;
      res.json({ username, roles, tenant, mustChangePassword: false });
    });
  }

  // Ingest: POST /imports. Its import jobs run on worker threads that publish to Kafka themselves.
  // Watched folders: each ingest replica polls them; a row claim in PostgreSQL makes one import a file.
  api.post('/imports', requireRole('admin', 'analyst'));
  api.delete('/imports/:id', requireRole('admin', 'analyst'));
  api.use('/uploads', requireRole('admin', 'analyst'));
  api.use('/watched-folders', requireRole('admin'));
  if (runs('ingest')) {
    const catalog = new ImportCatalog(required(relational, 'Q2H_POSTGRES_URL', targets));
    const workers = importWorkers({
      kind: 'kafka',
      brokers: d.kafkaBrokers,
      schemaRegistryUrl: required(d.schemaRegistryUrl, 'Q2H_SCHEMA_REGISTRY_URL', targets),
    });
    const ingest = startIngest(config, {
      log: required(log, 'Q2H_KAFKA_BROKERS', targets),
      serde: required(serde, 'Q2H_SCHEMA_REGISTRY_URL', targets),
      logger,
      metrics,
      runner: workers.run,
      lookup: (tenant, sha256) => catalog.bySha256(tenant, sha256),
      findImport: (tenant, id) => catalog.get(tenant, id),
    });
    const watchedFolders = await startWatchedFolders(config, {
      relational: required(relational, 'Q2H_POSTGRES_URL', targets),
      service: ingest.service,
      describeImport: (tenant, id) => catalog.get(tenant, id),
      logger,
    });
    api.use(ingest.router, watchedFolders.router);
    closers.unshift(async () => {
      await watchedFolders.stop();
      await ingest.service.idle();
      await workers.close();
    });
  } else if (runs('gateway')) {
    const ingest = proxyTo(required(d.targetUrls.ingest, 'Q2H_INGEST_URL', targets), logger);
    api.post('/imports', ingest);
    api.delete('/imports/:id', ingest);
    api.use('/watched-folders', ingest);
    api.use('/uploads', ingest);
  }

  const readers = requireRole('admin', 'analyst', 'viewer');
  const readDeps = () => ({
    analytics: required(analytics, 'Q2H_CLICKHOUSE_URL', targets),
    relational: required(relational, 'Q2H_POSTGRES_URL', targets),
    logger,
    metrics,
  });
  if (runs('projector')) {
    const projector = await startProjector(config, {
      ...readDeps(),
      log: required(log, 'Q2H_KAFKA_BROKERS', targets),
      serde: required(serde, 'Q2H_SCHEMA_REGISTRY_URL', targets),
    });
    const lagTimer = setInterval(async () => {
      for (const [topic, lag] of Object.entries(await projector.lag().catch(() => ({})))) {
        metrics.projectionLag.set({ topic }, lag);
      }
    }, 5000);
    lagTimer.unref();
    closers.unshift(async () => {
      clearInterval(lagTimer);
      await projector.stop();
    });
  }
  if (runs('query')) api.use(readers, (await startQuery(readDeps())).router);
  if (!runs('query') && runs('gateway')) {
    api.use(
      ['/imports', '/overview'],
      readers,
      proxyTo(required(d.targetUrls.query, 'Q2H_QUERY_URL', targets), logger),
    );
  }
  if (runs('export')) {
    api.use(readers, startExport({ analytics: required(analytics, 'Q2H_CLICKHOUSE_URL', targets) }).router);
  } else if (runs('gateway')) {
    api.use('/exports', readers, proxyTo(required(d.targetUrls.export, 'Q2H_EXPORT_URL', targets), logger));
  }

  app.use('/api', api);
  if (runs('gateway')) app.use(staticWeb());
  app.use(...problemHandlers(logger));

  const { server, port } = await listen(app, config.port, config.host);
  return {
    server,
    url: `http://localhost:${port}`,
    targets,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      for (const close of closers) await close();
    },
  };
}
