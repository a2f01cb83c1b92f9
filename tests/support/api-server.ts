import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningQ2h, startEmbedded } from '@q2h/auth-gateway';
import { createLogger, loadConfig } from '@q2h/platform';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface Reply {
  status: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
  body: any;
}

export interface ApiServer {
  q2h: RunningQ2h;
  /** The admin's token. */
  token: string;
  /** A request to the API as the admin (or with `token`); JSON bodies are parsed. */
  call(path: string, init?: RequestInit & { token?: string }): Promise<Reply>;
  close(): Promise<void>;
}

/** A real embedded q2h in this process on a free port, with a fresh data directory, logged in as admin. */
export async function startApiServer(env: Record<string, string> = {}): Promise<ApiServer> {
  const loaded = loadConfig({
    Q2H_PORT: '0',
    Q2H_HOST: '127.0.0.1',
    Q2H_DATA_DIR: mkdtempSync(join(tmpdir(), 'q2h-api-')),
    Q2H_ADMIN_PASSWORD: ADMIN_PASSWORD,
    Q2H_LOG_LEVEL: 'warn',
    ...env,
  });
  if (loaded.kind !== 'ok') throw new Error(loaded.problems.join());
  const q2h = await startEmbedded(loaded.config, createLogger(process.env.Q2H_TEST_LOG ?? 'silent'));
  const call = async (path: string, init: RequestInit & { token?: string } = {}): Promise<Reply> => {
    const headers = new Headers(init.headers);
    const token = init.token ?? server.token;
    if (token) headers.set('authorization', `Bearer ${token}`);
    const response = await fetch(`${q2h.url}${path}`, { ...init, headers });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, type, body: text && type.includes('json') ? JSON.parse(text) : text };
  };
  const server: ApiServer = { q2h, token: '', call, close: () => q2h.close() };
  const login = await call('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  server.token = login.body.token;
  return server;
}
