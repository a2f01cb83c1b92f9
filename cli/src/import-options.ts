import { parseArgs } from 'node:util';

export const USAGE = `usage: q2h-import [--url URL] [--json] [--no-wait] FILE...

Uploads scanner reports to q2h and waits for each import to finish.

  --url URL    q2h server (default: $Q2H_URL, else http://localhost:8080)
  --json       one JSON object per file on stdout (the default when stderr is not a terminal)
  --no-wait    stop once each upload is accepted; do not follow the import
  -h, --help   this text

credentials (environment):
  Q2H_TOKEN                     a bearer token (embedded login token or Keycloak access token)
  Q2H_USERNAME + Q2H_PASSWORD   log in to an embedded-mode q2h when Q2H_TOKEN is not set

exit codes: 0 every import done, 1 an import failed or was refused, 2 usage, credentials,
unreadable file or unreachable server`;

export type Credentials =
  | { kind: 'token'; token: string }
  | { kind: 'login'; username: string; password: string };

export interface ImportOptions {
  baseUrl: string;
  credentials: Credentials;
  files: string[];
  /** NDJSON on stdout and no bars: --json, or when stderr is not a terminal. */
  json: boolean;
  wait: boolean;
}

export type ParsedOptions =
  | { kind: 'ok'; options: ImportOptions }
  | { kind: 'help' }
  | { kind: 'usage'; problem: string };

const DEFAULT_URL = 'http://localhost:8080';

function credentialsFrom(env: NodeJS.ProcessEnv): Credentials | string {
  const token = env.Q2H_TOKEN?.trim();
  if (token) return { kind: 'token', token };
  const username = env.Q2H_USERNAME?.trim();
  const password = env.Q2H_PASSWORD;
  if (username && password) return { kind: 'login', username, password };
  if (username) return 'Q2H_USERNAME is set but Q2H_PASSWORD is not';
  if (password) return 'Q2H_PASSWORD is set but Q2H_USERNAME is not';
  return 'no credentials: set Q2H_TOKEN (a bearer token), or Q2H_USERNAME and Q2H_PASSWORD (embedded mode)';
}

function baseUrlFrom(raw: string): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `not a URL: ${raw}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `the URL must be http or https: ${raw}` };
  }
  return url.href.replace(/\/+$/, '');
}

/** Arguments and environment to options, or the one problem to tell the user (exit 2). */
export function parseImportOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stderrIsTerminal: boolean,
): ParsedOptions {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    return { kind: 'usage', problem: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length === 0) return { kind: 'usage', problem: 'no file given' };
  const baseUrl = baseUrlFrom(values.url ?? (env.Q2H_URL?.trim() || DEFAULT_URL));
  if (typeof baseUrl !== 'string') return { kind: 'usage', problem: baseUrl.problem };
  const credentials = credentialsFrom(env);
  if (typeof credentials === 'string') return { kind: 'usage', problem: credentials };
  return {
    kind: 'ok',
    options: {
      baseUrl,
      credentials,
      files: positionals,
      json: values.json || !stderrIsTerminal,
      wait: !values['no-wait'],
    },
  };
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
