/**
 * A real Keycloak 26 as a local process: the Maven Central distribution
 * `org.keycloak:keycloak-quarkus-dist:<v>:tar.gz`, started with `bin/kc.sh start-dev --import-realm`
 * on 127.0.0.1 and free ports. No Docker.
 *
 * Start-up is made cheap by a template prepared once in the engines cache:
 * - the distribution unpacked and augmented for `start-dev` (Quarkus re-augmentation: ~50 s, once),
 * - a base H2 database with the master realm and its bootstrap admin (schema creation: ~20 s, once),
 * - on JDK 25+ an AOT cache of the JVM (JEP 483/514), recorded by one training start (not under CI,
 *   where the cache dir is new on every run and the training would never pay back).
 * Each start copies the template (hard links, except the data and the augmentation output, which
 * are written to), drops the realm file into its `data/import` and waits for the realm's discovery
 * document.
 */
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findJava } from './java.ts';
import { fetchMavenArtifacts } from './maven.ts';
import { type EngineProcess, freePort, onExit, tail, waitUntilReady } from './processes.ts';

export const KEYCLOAK_VERSION = '26.7.3';
/** The master realm's bootstrap admin in every test Keycloak (its base database is created with it). */
export const KEYCLOAK_TEST_ADMIN = { username: 'admin', password: 'admin' } as const;

export interface KeycloakOptions {
  /** A realm export (JSON with a `realm` name) imported at start. */
  readonly realmFile: string;
  /** JVM heap. Default 768m. */
  readonly heap?: string;
  /** How long to wait for the realm's discovery document. Default 180 s. */
  readonly readyTimeoutMs?: number;
}

export interface KeycloakEngine {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** The imported realm's name. */
  readonly realm: string;
  /** The realm's issuer (`iss` of its tokens): `${url}/realms/${realm}`. */
  readonly issuer: string;
  /** Master realm admin for the admin REST API (test-only credentials). */
  readonly admin: { readonly username: string; readonly password: string };
  /** Milliseconds from spawning kc.sh to the realm answering (template preparation excluded). */
  readonly startMs: number;
  readonly logFile: string;
  /** Graceful shutdown (SIGTERM), then its directory is removed. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash; its directory is removed. */
  kill(): Promise<void>;
}

const run = promisify(execFile);
const TEMPLATE_READY = 'q2h-template.json';

/** Keycloak 26 runs on Java 21 or later (17 is deprecated): the oldest such JDK on the machine. */
function keycloakJava(): { javaHome: string; major: number } {
  const java = findJava(21);
  const javaHome = dirname(dirname(java));
  const release = readFileSync(join(javaHome, 'release'), 'utf8');
  return { javaHome, major: Number(/^JAVA_VERSION="(\d+)/m.exec(release)?.[1] ?? 0) };
}

/** kc.sh reads JAVA_OPTS* and KC_* from the environment: start from a clean one. */
function kcEnv(javaHome: string, heap: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(JAVA_OPTS|JAVA_TOOL_OPTIONS|JDK_JAVA_OPTIONS|KC_|KEYCLOAK_)/.test(key)) env[key] = value;
  }
  return { ...env, JAVA_HOME: javaHome, JAVA_OPTS_KC_HEAP: `-Xms64m -Xmx${heap}`, ...extra };
}

/**
 * kc.sh is a shell that runs java as its child (or execs it after a re-augmentation): it is started in
 * a process group of its own and signals go to the whole group. A watchdog kills the group and removes
 * `dir` when this process dies without cleaning up.
 */
function spawnKc(home: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, dir: string) {
  const out = openSync(logFile, 'a');
  const child = (() => {
    try {
      return spawn(join(home, 'bin', 'kc.sh'), args, {
        cwd: home,
        env,
        stdio: ['ignore', out, out],
        detached: true,
      });
    } finally {
      closeSync(out);
    }
  })();
  const pid = child.pid;
  if (pid === undefined) throw new Error('test-engines: could not start kc.sh');
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const groupAlive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const script =
    'cat >/dev/null; kill -9 "-$1" 2>/dev/null; ' +
    'while kill -0 "-$1" 2>/dev/null; do sleep 0.2; done; rm -rf "$2"';
  const watchdog = spawn('sh', ['-c', script, 'watchdog', String(pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const forgetExitHook = onExit(() => signalGroup('SIGKILL'));

  let done = false;
  const shellExited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    });
  });
  /** The shell has exited and so has everything in its group (java, an AOT assembly child). */
  const exited = shellExited.then(async (status) => {
    while (groupAlive()) await new Promise((r) => setTimeout(r, 100));
    forgetExitHook();
    try {
      if (watchdog.pid !== undefined) process.kill(-watchdog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    return status;
  });
  const engine: EngineProcess = {
    pid,
    exited,
    running: () => !done,
    async kill() {
      signalGroup('SIGKILL');
      await exited;
    },
    async terminate(graceMs = 30_000) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return engine;
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.ok;
}

function listenArgs(httpPort: number, managementPort: number): string[] {
  return ['--http-host=127.0.0.1', `--http-port=${httpPort}`, `--http-management-port=${managementPort}`];
}

/** Copies the template: hard links for what Keycloak only reads, real copies for what it writes. */
async function copyTemplate(home: string, target: string): Promise<void> {
  await run('cp', ['-al', `${home}/.`, target]);
  for (const writable of ['data', join('lib', 'quarkus')]) {
    rmSync(join(target, writable), { recursive: true, force: true });
    cpSync(join(home, writable), join(target, writable), { recursive: true });
  }
}

interface Template {
  home: string;
  aotCache: string | undefined;
}

/** The unpacked, augmented distribution with a base database, prepared once per cache dir. */
async function keycloakTemplate(javaHome: string, major: number, heap: string): Promise<Template> {
  const lib = await fetchMavenArtifacts(
    `keycloak-dist-${KEYCLOAK_VERSION}`,
    [
      {
        groupId: 'org.keycloak',
        artifactId: 'keycloak-quarkus-dist',
        version: KEYCLOAK_VERSION,
        type: 'tar.gz',
      },
    ],
    { transitive: false },
  );
  const root = dirname(lib);
  const home = join(root, 'home');
  const aotCache = join(root, `keycloak-jdk${major}.aot`);
  if (!existsSync(join(home, TEMPLATE_READY))) await prepareTemplate(lib, home, javaHome, heap);
  const wantAot =
    major >= 25 && !process.env['CI'] && process.env['Q2H_KEYCLOAK_AOT'] !== '0' && !existsSync(aotCache);
  if (wantAot) await recordAotCache(home, aotCache, javaHome, heap);
  return { home, aotCache: major >= 25 && existsSync(aotCache) ? aotCache : undefined };
}

async function prepareTemplate(lib: string, home: string, javaHome: string, heap: string): Promise<void> {
  const work = `${home}.${process.pid}.${Date.now()}`;
  mkdirSync(work, { recursive: true });
  const forget = onExit(() => rmSync(work, { recursive: true, force: true }));
  try {
    await run('tar', ['xzf', join(lib, `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.tar.gz`), '-C', work]);
    const dist = join(work, `keycloak-${KEYCLOAK_VERSION}`);
    const logFile = join(work, 'prepare.log');
    const [httpPort, managementPort] = [await freePort(), await freePort()];
    const env = kcEnv(javaHome, heap, {
      KC_BOOTSTRAP_ADMIN_USERNAME: KEYCLOAK_TEST_ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: KEYCLOAK_TEST_ADMIN.password,
    });
    const args = ['start-dev', ...listenArgs(httpPort, managementPort)];

    // 1. Augmentation for the dev profile: it ends when kc.sh relaunches the built server.
    const augmenting = spawnKc(dist, args, env, logFile, work);
    await waitUntilReady(
      'Keycloak (augmenting for start-dev)',
      augmenting,
      logFile,
      async () => tail(logFile, 200).includes('Running the server in development mode'),
      10 * 60_000,
    );
    await augmenting.kill();
    rmSync(join(dist, 'data'), { recursive: true, force: true });

    // 2. The base database: schema, master realm, bootstrap admin. A clean stop leaves it consistent.
    const creating = spawnKc(dist, args, env, logFile, work);
    await waitUntilReady(
      'Keycloak (creating the base database)',
      creating,
      logFile,
      () => httpOk(`http://127.0.0.1:${httpPort}/realms/master/.well-known/openid-configuration`),
      10 * 60_000,
    );
    await creating.terminate(60_000);
    rmSync(join(dist, 'data', 'transaction-logs'), { recursive: true, force: true });
    rmSync(join(dist, 'data', 'tmp'), { recursive: true, force: true });
    writeFileSync(
      join(dist, TEMPLATE_READY),
      JSON.stringify({ version: KEYCLOAK_VERSION, javaHome, preparedAt: new Date().toISOString() }),
    );
    try {
      renameSync(dist, home);
    } catch (error) {
      if (!existsSync(join(home, TEMPLATE_READY))) throw error; // else: another worker prepared it first
    }
  } finally {
    forget();
    rmSync(work, { recursive: true, force: true });
  }
}

/** One training start whose class loading and linking the JVM keeps in an AOT cache (JDK 25+). */
async function recordAotCache(home: string, aotCache: string, javaHome: string, heap: string): Promise<void> {
  const dir = mkdtempSync(join(dirname(home), 'aot-'));
  const forget = onExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const instance = join(dir, 'keycloak');
    mkdirSync(instance);
    await copyTemplate(home, instance);
    const logFile = join(dir, 'aot.log');
    const output = join(dir, basename(aotCache));
    const [httpPort, managementPort] = [await freePort(), await freePort()];
    const env = kcEnv(javaHome, heap, { JAVA_OPTS_APPEND: `-XX:AOTCacheOutput=${output}` });
    const kc = spawnKc(instance, ['start-dev', ...listenArgs(httpPort, managementPort)], env, logFile, dir);
    await waitUntilReady(
      'Keycloak (AOT training start)',
      kc,
      logFile,
      () => httpOk(`http://127.0.0.1:${httpPort}/realms/master/.well-known/openid-configuration`),
      10 * 60_000,
    );
    await kc.terminate(5 * 60_000); // the JVM assembles the cache on its way out
    if (existsSync(output)) renameSync(output, aotCache); // same file system: atomic
  } finally {
    forget();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startKeycloak(options: KeycloakOptions): Promise<KeycloakEngine> {
  const heap = options.heap ?? '768m';
  const realm = (JSON.parse(readFileSync(options.realmFile, 'utf8')) as { realm?: unknown }).realm;
  if (typeof realm !== 'string') throw new Error(`test-engines: ${options.realmFile} names no realm`);
  const { javaHome, major } = keycloakJava();
  const template = await keycloakTemplate(javaHome, major, heap);

  const dir = mkdtempSync(join(dirname(template.home), 'run-')); // beside the template: hard links
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetCleanup = onExit(removeDir);
  const instance = join(dir, 'keycloak');
  const logFile = join(dir, 'keycloak.log');
  try {
    mkdirSync(instance);
    await copyTemplate(template.home, instance);
    mkdirSync(join(instance, 'data', 'import'), { recursive: true });
    copyFileSync(options.realmFile, join(instance, 'data', 'import', `${realm}-realm.json`));
  } catch (error) {
    forgetCleanup();
    removeDir();
    throw error;
  }

  const [httpPort, managementPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const issuer = `${url}/realms/${realm}`;
  const env = kcEnv(
    javaHome,
    heap,
    template.aotCache ? { JAVA_OPTS_APPEND: `-XX:AOTCache=${template.aotCache}` } : {},
  );
  const started = Date.now();
  const kc = spawnKc(
    instance,
    ['start-dev', '--import-realm', ...listenArgs(httpPort, managementPort)],
    env,
    logFile,
    dir,
  );
  const finish = async (how: 'terminate' | 'kill') => {
    if (how === 'terminate') await kc.terminate();
    else await kc.kill();
    forgetCleanup();
    removeDir();
  };
  try {
    await waitUntilReady(
      `Keycloak ${KEYCLOAK_VERSION}`,
      kc,
      logFile,
      () => httpOk(`${issuer}/.well-known/openid-configuration`),
      options.readyTimeoutMs ?? 180_000,
    );
  } catch (error) {
    await finish('kill');
    throw error;
  }
  return {
    url,
    realm,
    issuer,
    admin: KEYCLOAK_TEST_ADMIN,
    startMs: Date.now() - started,
    logFile,
    stop: () => finish('terminate'),
    kill: () => finish('kill'),
  };
}
