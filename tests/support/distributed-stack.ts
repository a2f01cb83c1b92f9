/**
 * The whole distributed stack on this machine, as separate processes: real Kafka (KRaft), Apicurio
 * (Confluent API), Keycloak with the q2h realm, the machine's PostgreSQL (a fresh database), and the
 * q2h targets started exactly as in production (`Q2H_TARGETS=… node services/auth-gateway/src/main.ts`).
 * Analytics runs on chDB, which lives inside one process: projector, query and export share it here
 * (with a ClickHouse server, each is its own process).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ApicurioEngine,
  type EngineProcess,
  freePort,
  type KafkaEngine,
  type KeycloakEngine,
  spawnEngine,
  startApicurio,
  startKafka,
  startKeycloak,
  waitUntilReady,
} from '@q2h/test-engines';
import pg from 'pg';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(repoRoot, 'services/auth-gateway/src/main.ts');
const REALM_FILE = join(repoRoot, 'deploy/keycloak/q2h-realm.json');
/** The realm's confidential gateway client (deploy/keycloak/q2h-realm.json). */
export const GATEWAY_CLIENT = { clientId: 'q2h-gateway', secret: 'q2h-dev-client-secret' } as const;
/** Test-only client with the password grant, for API tests and scripts (not in the deployed realm). */
export const PASSWORD_CLIENT = { clientId: 'q2h-tests', secret: 'q2h-tests-secret' } as const;
/** The realm's test users (deploy/keycloak/README.md). */
export const USERS = {
  admin: { username: 'alice-admin', password: 'alice-admin-test-only' },
  analyst: { username: 'bob-analyst', password: 'bob-analyst-test-only' },
  viewer: { username: 'carol-viewer', password: 'carol-viewer-test-only' },
  /** An analyst of tenant "other", which the stack does not serve. */
  otherTenant: { username: 'eve-other', password: 'eve-other-test-only' },
} as const;

export type StackTarget = 'gateway' | 'ingest' | 'read';
const TARGETS: Record<StackTarget, string> = {
  gateway: 'gateway',
  ingest: 'ingest',
  read: 'projector,query,export',
};

export interface TargetProcess {
  readonly url: string;
  readonly logFile: string;
  /** SIGKILL, as in a crash. */
  kill(): Promise<void>;
  /** Starts it (again: same port, same data) and waits until /readyz answers. */
  start(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface DistributedStack {
  /** The gateway: what browsers and API clients use. */
  readonly url: string;
  readonly kafka: KafkaEngine;
  readonly registry: ApicurioEngine;
  readonly keycloak: KeycloakEngine;
  readonly postgresUrl: string;
  readonly targets: Record<StackTarget, TargetProcess>;
  /** An access token from Keycloak (password grant of the test client). */
  token(user: { username: string; password: string }): Promise<string>;
  stop(): Promise<void>;
}

function writeRealm(dir: string, gatewayUrl: string): string {
  const realm = JSON.parse(readFileSync(REALM_FILE, 'utf8')) as {
    clients: {
      clientId: string;
      redirectUris?: string[];
      protocolMappers?: unknown[];
      attributes?: Record<string, string>;
    }[];
  };
  const gateway = realm.clients.find((c) => c.clientId === GATEWAY_CLIENT.clientId);
  if (!gateway) throw new Error('the realm has no q2h-gateway client');
  gateway.redirectUris = [...(gateway.redirectUris ?? []), `${gatewayUrl}/api/auth/callback`];
  gateway.attributes = { ...gateway.attributes, 'post.logout.redirect.uris': `${gatewayUrl}/*` };
  realm.clients.push({
    clientId: PASSWORD_CLIENT.clientId,
    enabled: true,
    protocol: 'openid-connect',
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    secret: PASSWORD_CLIENT.secret,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: true,
    protocolMappers: gateway.protocolMappers ?? [],
  } as (typeof realm.clients)[number]);
  const file = join(dir, 'q2h-stack-realm.json');
  writeFileSync(file, JSON.stringify(realm));
  return file;
}

async function freshDatabase(): Promise<string> {
  const base = process.env.Q2H_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `q2h_stack_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export async function startDistributedStack(
  options: { gatewayPort?: number } = {},
): Promise<DistributedStack> {
  const dir = mkdtempSync(join(tmpdir(), 'q2h-stack-'));
  const ports = {
    gateway: options.gatewayPort ?? (await freePort()),
    ingest: await freePort(),
    read: await freePort(),
  };
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const [kafka, registry, keycloak, postgresUrl] = await Promise.all([
    startKafka(),
    startApicurio(),
    startKeycloak({ realmFile: writeRealm(dir, gatewayUrl) }),
    freshDatabase(),
  ]);

  const env = (target: StackTarget): NodeJS.ProcessEnv => ({
    ...process.env,
    Q2H_TARGETS: TARGETS[target],
    Q2H_HOST: '127.0.0.1',
    Q2H_PORT: String(ports[target]),
    Q2H_DATA_DIR: join(dir, target),
    Q2H_LOG_LEVEL: process.env.Q2H_LOG_LEVEL ?? 'warn',
    Q2H_KAFKA_BROKERS: kafka.brokers.join(','),
    Q2H_SCHEMA_REGISTRY_URL: registry.url,
    Q2H_CLICKHOUSE_URL: 'chdb:analytics',
    Q2H_POSTGRES_URL: postgresUrl,
    Q2H_OIDC_ISSUER: keycloak.issuer,
    Q2H_OIDC_CLIENT_ID: GATEWAY_CLIENT.clientId,
    Q2H_OIDC_CLIENT_SECRET: GATEWAY_CLIENT.secret,
    Q2H_PUBLIC_URL: gatewayUrl,
    Q2H_INGEST_URL: `http://127.0.0.1:${ports.ingest}`,
    Q2H_QUERY_URL: `http://127.0.0.1:${ports.read}`,
    Q2H_EXPORT_URL: `http://127.0.0.1:${ports.read}`,
  });

  const targetProcess = (target: StackTarget): TargetProcess => {
    const url = `http://127.0.0.1:${ports[target]}`;
    const logFile = join(dir, `${target}.log`);
    let process_: EngineProcess | undefined;
    return {
      url,
      logFile,
      async kill() {
        await process_?.kill();
      },
      async start() {
        process_ = spawnEngine(global.process.execPath, ['--import', 'tsx', MAIN], {
          cwd: repoRoot,
          env: env(target),
          logFile,
        });
        await waitUntilReady(
          `q2h ${TARGETS[target]}`,
          process_,
          logFile,
          async () => (await fetch(`${url}/readyz`)).ok,
          120_000,
        );
      },
      async stop() {
        await process_?.terminate(10_000);
      },
    };
  };
  const targets = {
    read: targetProcess('read'),
    ingest: targetProcess('ingest'),
    gateway: targetProcess('gateway'),
  };
  // The read side first: it creates the read models the others' readiness may need.
  await targets.read.start();
  await Promise.all([targets.ingest.start(), targets.gateway.start()]);

  return {
    url: gatewayUrl,
    kafka,
    registry,
    keycloak,
    postgresUrl,
    targets,
    async token(user) {
      const response = await fetch(`${keycloak.issuer}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: PASSWORD_CLIENT.clientId,
          client_secret: PASSWORD_CLIENT.secret,
          username: user.username,
          password: user.password,
          scope: 'openid',
        }),
      });
      if (!response.ok) throw new Error(`Keycloak token: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
    async stop() {
      for (const target of Object.values(targets)) await target.stop();
      await Promise.allSettled([kafka.stop(), registry.stop(), keycloak.stop()]);
      await dropDatabase(postgresUrl).catch(() => {});
    },
  };
}
