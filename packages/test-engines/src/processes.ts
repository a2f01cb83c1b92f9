/**
 * Engine processes: spawned with their output in a log file, killed when this process exits, and
 * also when it dies without running exit handlers (SIGKILL, OOM): a watchdog shell reads a pipe from
 * this process and kills the engine once the pipe closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface EngineProcess {
  readonly pid: number;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /** Whether the process is still running. */
  running(): boolean;
  /** SIGTERM (graceful), then SIGKILL after `graceMs`; resolves once it exited. */
  terminate(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves once it exited. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // best effort
      }
    }
  });
}

/** Runs `cleanup` (synchronous) when this process exits, unless the returned function is called first. */
export function onExit(cleanup: () => void): () => void {
  installExitHook();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** stdout and stderr go (appended) to this file. */
  readonly logFile: string;
  /** A directory the watchdog removes after killing the engine, when this process died without cleaning up. */
  readonly orphanDir?: string;
}

export function spawnEngine(command: string, args: readonly string[], options: SpawnOptions): EngineProcess {
  installExitHook();
  const out = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`test-engines: could not start ${command}`);
  live.add(child);

  // The watchdog: `cat` returns when our end of its stdin closes (we exited, however), then it kills the
  // engine and removes its scratch directory.
  const script =
    'cat >/dev/null; kill -9 "$1" 2>/dev/null; ' +
    'while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; if [ -n "$2" ]; then rm -rf "$2"; fi';
  const watchdog = spawn('sh', ['-c', script, 'watchdog', String(pid), options.orphanDir ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      // The engine is gone: end the watchdog without letting it kill anything.
      try {
        if (watchdog.pid !== undefined) process.kill(-watchdog.pid, 'SIGKILL'); // its group: sh and cat
      } catch {
        // already gone
      }
      resolve(signal ?? String(code));
    });
  });

  const kill = async () => {
    if (!done) child.kill('SIGKILL');
    await exited;
  };
  return {
    pid,
    exited,
    running: () => !done,
    kill,
    async terminate(graceMs = 30_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('test-engines: no free port'));
      });
    });
  });
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/**
 * Polls `ready` until it returns true; fails early when the engine exits, and after `timeoutMs`.
 */
export async function waitUntilReady(
  what: string,
  engine: EngineProcess,
  logFile: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!engine.running()) {
      throw new Error(`test-engines: ${what} exited before it was ready. Log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      if (await ready()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `test-engines: ${what} not ready after ${timeoutMs} ms. Log ${logFile}:\n${tail(logFile)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
