import { basename } from 'node:path';
import { type HttpAnswer, postStream } from './http-upload.ts';
import type { ReportBody } from './report-body.ts';
import { ServerUnreachableError, SetupError } from './setup-error.ts';

export type ImportStatus = 'accepted' | 'processing' | 'done' | 'failed' | 'retracted';
export type CoherenceLevel = 'ok' | 'warning' | 'error';

/** The fields of GET /api/imports/{id} this tool reads. */
export interface ImportView {
  id: string;
  status: ImportStatus;
  rowsDone: number;
  bytesDone: number;
  bytesTotal: number;
  findings: number;
  hosts: number;
  coherenceLevel: CoherenceLevel;
  error?: { line?: number; reason: string };
}

export type UploadAnswer =
  | { kind: 'accepted'; id: string; status: ImportStatus }
  | { kind: 'duplicate'; id: string; status: ImportStatus }
  | { kind: 'refused'; httpStatus: number; detail: string };

interface Answer {
  status: number;
  body: unknown;
}

/** `detail` of an RFC 9457 problem body, or the best text there is. */
function problemDetail(answer: Answer): string {
  const body = answer.body;
  if (body && typeof body === 'object') {
    const { detail, title } = body as { detail?: unknown; title?: unknown };
    if (typeof detail === 'string' && detail) return detail;
    if (typeof title === 'string' && title) return title;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 200);
  return `HTTP ${answer.status}`;
}

/** ECONNREFUSED, ENOTFOUND…: node:http puts the code on the error, fetch in `cause` (or an AggregateError in it). */
function networkReason(error: unknown): string {
  let cause: unknown = error instanceof Error && error.cause ? error.cause : error;
  if (cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
  const { code, message } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : String(error);
}

/** The q2h HTTP API as the importer uses it; bearer token on every call. */
export class Q2hClient {
  private constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static withToken(baseUrl: string, token: string): Q2hClient {
    return new Q2hClient(baseUrl, token);
  }

  /** Embedded mode's local login (POST /api/auth/login); in distributed mode there is none. */
  static async login(baseUrl: string, username: string, password: string): Promise<Q2hClient> {
    const answer = await send(baseUrl, '/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (answer.status !== 200) {
      const hint =
        answer.status === 404 || answer.status === 401 || answer.status === 405
          ? ' (distributed mode has no local login: set Q2H_TOKEN to a Keycloak access token)'
          : '';
      throw new SetupError(`login as ${username} failed: ${problemDetail(answer)}${hint}`);
    }
    const { token, mustChangePassword } = answer.body as { token?: unknown; mustChangePassword?: unknown };
    if (typeof token !== 'string') throw new SetupError(`login as ${username}: the answer has no token`);
    if (mustChangePassword === true) {
      throw new SetupError(
        `${username} must change the password first (log in once in the UI, or start q2h with Q2H_ADMIN_PASSWORD)`,
      );
    }
    return new Q2hClient(baseUrl, token);
  }

  /**
   * POST /api/imports with the file streamed as the body, named by its base name: 202 accepted, 200
   * duplicate (same content imported before), any other answer a refusal with the problem's detail.
   */
  async uploadReport(filename: string, body: ReportBody): Promise<UploadAnswer> {
    let reply: HttpAnswer;
    try {
      reply = await postStream(
        `${this.baseUrl}/api/imports?filename=${encodeURIComponent(basename(filename))}`,
        {
          authorization: `Bearer ${this.token}`,
          'content-type': body.contentType,
          'content-length': String(body.length),
        },
        body.stream,
      );
    } catch (error) {
      // A body stream that failed surfaces as the request's error: say it was the file, not the network.
      const readError = body.readError();
      if (readError) throw new SetupError(`cannot read ${filename}: ${readError.message}`);
      throw new ServerUnreachableError(`cannot reach ${this.baseUrl}: ${networkReason(error)}`);
    }
    // The server answered (maybe before reading the whole file, as a refused token is): its answer counts.
    const answer = this.checked(answerFrom(reply.status, reply.contentType, reply.text));
    const { id, status, duplicate } = (answer.body ?? {}) as {
      id?: unknown;
      status?: unknown;
      duplicate?: unknown;
    };
    if ((answer.status === 200 || answer.status === 202) && typeof id === 'string') {
      const importStatus = (typeof status === 'string' ? status : 'accepted') as ImportStatus;
      return duplicate === true
        ? { kind: 'duplicate', id, status: importStatus }
        : { kind: 'accepted', id, status: importStatus };
    }
    if (answer.status === 404) {
      throw new SetupError(`${this.baseUrl} has no q2h API (POST /api/imports answered 404): check --url`);
    }
    // q2h answers every error with a JSON problem body. Anything else came from another server (the
    // wrong URL) or a proxy before q2h, and would refuse every file in turn: stop. A proxy's 413 is the
    // one answer that concerns this file alone.
    if (typeof answer.body === 'string' && answer.status !== 413) {
      throw new SetupError(
        `${this.baseUrl} did not answer as q2h (POST /api/imports answered ${answer.status} with no problem body): check --url`,
      );
    }
    return { kind: 'refused', httpStatus: answer.status, detail: problemDetail(answer) };
  }

  /** GET /api/imports/{id}; undefined while the import is not in the catalog yet (it is filled asynchronously). */
  async getImport(id: string): Promise<ImportView | undefined> {
    const answer = await this.call(`/api/imports/${encodeURIComponent(id)}`, { method: 'GET' });
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`GET /api/imports/${id}: ${problemDetail(answer)}`);
    return answer.body as ImportView;
  }

  private async call(path: string, init: RequestInit): Promise<Answer> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    return this.checked(await send(this.baseUrl, path, { ...init, headers }));
  }

  /** 401 on any call: the token is missing its mark (expired, wrong issuer), which no retry mends. */
  private checked(answer: Answer): Answer {
    if (answer.status === 401) {
      throw new SetupError(`${this.baseUrl} refused the token: ${problemDetail(answer)}`);
    }
    return answer;
  }
}

async function send(baseUrl: string, path: string, init: RequestInit): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, init);
  } catch (error) {
    throw new ServerUnreachableError(`cannot reach ${baseUrl}: ${networkReason(error)}`);
  }
  return answerFrom(response.status, response.headers.get('content-type') ?? '', await response.text());
}

function answerFrom(status: number, contentType: string, text: string): Answer {
  if (!contentType.includes('json') || !text) return { status, body: text };
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    return { status, body: text };
  }
}
