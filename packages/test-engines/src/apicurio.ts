/**
 * A real Apicurio Registry 3 (Quarkus app, in-memory H2 storage) as a local JVM process; its Confluent
 * Schema Registry API is under `/apis/ccompat/v7`. The app is the Maven Central artifact
 * `io.apicurio:apicurio-registry-app:<v>:tar.gz:all`, unpacked once into the engines cache.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findJava } from './java.ts';
import { fetchMavenArtifacts } from './maven.ts';
import { freePort, onExit, spawnEngine, waitUntilReady } from './processes.ts';

export const APICURIO_VERSION = '3.3.3';

export interface ApicurioEngine {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:PORT/apis/ccompat/v7 */
  readonly url: string;
  /** Base URL of the registry itself (its own v3 API is under /apis/registry/v3). */
  readonly baseUrl: string;
  /** Stops the registry (its in-memory data is gone). */
  stop(): Promise<void>;
}

export interface ApicurioOptions {
  /** JVM heap. Default 512m. */
  readonly heap?: string;
  /** Extra Quarkus/Apicurio system properties. */
  readonly properties?: Readonly<Record<string, string | number>>;
  /** Default 180 s (first start on a busy 2-core machine). */
  readonly readyTimeoutMs?: number;
}

async function apicurioHome(): Promise<string> {
  const lib = await fetchMavenArtifacts(
    `apicurio-registry-${APICURIO_VERSION}`,
    [
      {
        groupId: 'io.apicurio',
        artifactId: 'apicurio-registry-app',
        version: APICURIO_VERSION,
        classifier: 'all',
        type: 'tar.gz',
      },
    ],
    { transitive: false },
  );
  const home = join(lib, '..', 'app');
  if (existsSync(join(home, 'quarkus-run.jar'))) return home;
  const tarball = readdirSync(lib).find((f) => f.endsWith('.tar.gz'));
  if (!tarball) throw new Error(`test-engines: no apicurio tarball in ${lib}`);
  const work = `${home}.${process.pid}.${Date.now()}`;
  mkdirSync(work, { recursive: true });
  try {
    await promisify(execFile)('tar', ['xzf', join(lib, tarball), '-C', work]);
    if (!existsSync(join(work, 'quarkus-run.jar'))) {
      throw new Error(`test-engines: ${tarball} has no quarkus-run.jar`);
    }
    try {
      renameSync(work, home);
    } catch (error) {
      if (!existsSync(join(home, 'quarkus-run.jar'))) throw error; // else: another worker unpacked it first
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return home;
}

export async function startApicurio(options: ApicurioOptions = {}): Promise<ApicurioEngine> {
  const home = await apicurioHome();
  const java = findJava(21);
  const dir = mkdtempSync(join(tmpdir(), 'q2h-apicurio-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetCleanup = onExit(removeDir);
  const logFile = join(dir, 'apicurio.log');
  const [httpPort, managementPort] = [await freePort(), await freePort()];
  const properties: Record<string, string | number> = {
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': httpPort,
    // Health and metrics listen on their own (management) interface: keep it local too.
    'quarkus.management.host': '127.0.0.1',
    'quarkus.management.port': managementPort,
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'h2',
    'apicurio.datasource.url': 'jdbc:h2:mem:registry',
    'apicurio.datasource.jdbc.initial-size': 2,
    'apicurio.datasource.jdbc.min-size': 2,
    'apicurio.storage.snapshot.location': dir,
    'apicurio.import.work-dir': dir,
    'quarkus.otel.sdk.disabled': 'true',
    'quarkus.log.level': 'WARN',
    ...options.properties,
  };
  const engine = spawnEngine(
    java,
    [
      `-Xmx${options.heap ?? '512m'}`,
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${dir}`,
      ...Object.entries(properties).map(([k, v]) => `-D${k}=${v}`),
      '-jar',
      join(home, 'quarkus-run.jar'),
    ],
    { logFile, cwd: dir, orphanDir: dir },
  );
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const url = `${baseUrl}/apis/ccompat/v7`;
  try {
    await waitUntilReady(
      `apicurio registry ${APICURIO_VERSION}`,
      engine,
      logFile,
      async () => {
        const health = await fetch(`http://127.0.0.1:${managementPort}/health/ready`);
        if (!health.ok) return false;
        return (await fetch(`${url}/subjects`)).ok;
      },
      options.readyTimeoutMs ?? 180_000,
    );
  } catch (error) {
    await engine.kill();
    forgetCleanup();
    removeDir();
    throw error;
  }
  let stopped = false;
  return {
    url,
    baseUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      await engine.terminate();
      forgetCleanup();
      removeDir();
    },
  };
}
