// The one typed client of the q2h HTTP API (see /api/openapi.json on the server).
// Errors are RFC 9457 problem bodies; they surface as ApiError with the problem attached.

import { auth } from '../stores/auth';

export interface User {
  username: string;
  roles: string[];
}

export interface LoginRequest {
  username: string;
  password: string;
}

export interface LoginResponse {
  token: string;
  mustChangePassword: boolean;
  user: User;
}

export interface PasswordChangeRequest {
  currentPassword: string;
  newPassword: string;
}

export interface PasswordChangeResponse {
  token: string;
  mustChangePassword: boolean;
}

/** How this q2h signs people in: its own accounts (embedded) or single sign-on through Keycloak. */
export type AuthConfig = { mode: 'local' } | { mode: 'sso'; loginUrl: string };

export interface Me {
  username: string;
  roles: string[];
  tenant: string;
  mustChangePassword: boolean;
}

export type ImportStatus = 'accepted' | 'processing' | 'done' | 'failed' | 'retracted';
export type CoherenceLevel = 'ok' | 'warning' | 'error';

export interface CoherenceResult {
  check: string;
  entity?: string | null;
  expected: number | string | null;
  actual: number | string | null;
  level: CoherenceLevel;
}

export interface ImportError {
  line?: number | null;
  reason: string;
}

export interface DeclaredTotals {
  totalVulns: number | null;
  activeHosts: number | null;
}

export interface ImportView {
  id: string;
  filename: string;
  dialect: string | null;
  encoding?: string;
  status: ImportStatus;
  rowsDone: number;
  bytesDone: number;
  bytesTotal: number;
  findings: number;
  /** Distinct hosts in the detail rows (when the server reports it). */
  hosts?: number;
  createdAt: string;
  updatedAt?: string;
  /** The report's own date, from its preamble. */
  scannedAt?: string;
  error?: ImportError | null;
  declared?: DeclaredTotals | null;
  /** Full results on GET /api/imports/{id}; the list may leave them out and send only `coherenceLevel`. */
  coherence: CoherenceResult[];
  coherenceLevel?: CoherenceLevel;
}

/** Files above this size are uploaded in resumable chunks of CHUNK_BYTES. */
const RESUMABLE_ABOVE_BYTES = 64 * 2 ** 20;
const CHUNK_BYTES = 8 * 2 ** 20;

export interface ImportAccepted {
  id: string;
  status: ImportStatus;
  /** The same content was imported before: `id` is that import, and nothing is counted twice. */
  duplicate?: boolean;
}

export interface ImportList {
  items: ImportView[];
}

export type Severity = 1 | 2 | 3 | 4 | 5;

export interface TopVuln {
  qid: string | number;
  title: string;
  severity: number;
  hosts: number;
}

export interface TopHost {
  /** The asset: its IP, else its FQDN, DNS or NetBIOS name. */
  host: string;
  ip: string;
  dns: string | null;
  findings: number;
}

export interface Overview {
  findings: number;
  hosts: number;
  critical: number;
  bySeverity: Partial<Record<'1' | '2' | '3' | '4' | '5', number>>;
  topVulns: TopVuln[];
  topHosts: TopHost[];
}

export interface OverviewQuery {
  severities: readonly number[];
  report?: string | null;
}

export type WatchedFolderStatus = 'disabled' | 'waiting' | 'watching' | 'unreadable';
export type WatchedFileOutcome = 'importing' | 'imported' | 'duplicate' | 'rejected';

/** One file a watched folder handled: the import it produced (or matched), or why it was refused. */
export interface WatchedFile {
  name: string;
  size: number;
  modifiedAt: string;
  outcome: WatchedFileOutcome;
  reason: string | null;
  /** The import it produced, or for a duplicate the earlier import of the same content. */
  importId: string | null;
  import: { status: ImportStatus; filename: string | null; findings: number | null } | null;
  handledAt: string;
}

export interface WatchedFolder {
  id: string;
  path: string;
  enabled: boolean;
  ignoreBefore: string | null;
  status: WatchedFolderStatus;
  createdAt: string;
  createdBy: string;
  lastScanAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  counts: { imported: number; duplicate: number; rejected: number };
  recentFiles: WatchedFile[];
}

export interface WatchedFolderRequest {
  path: string;
  enabled: boolean;
  /** ISO date-time; files last modified before it are skipped. */
  ignoreBefore: string | null;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** The message to show a user for any error thrown by the client. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export interface ApiClientOptions {
  baseUrl?: string;
  getToken: () => string | null;
  /** Called on a 401 from an authenticated call (the session is gone or expired). */
  onUnauthorized: () => void;
}

function parseProblem(status: number, statusText: string, text: string): Problem {
  if (text) {
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === 'object') return body as Problem;
    } catch {
      // not JSON: fall through
    }
  }
  return { status, title: statusText || `HTTP ${status}`, detail: text || undefined };
}

export class ApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl ?? '';
  }

  private headers(auth: boolean, json: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (json) h['Content-Type'] = 'application/json';
    const token = auth ? this.options.getToken() : null;
    if (token) h['Authorization'] = `Bearer ${token}`;
    return h;
  }

  private async request<T>(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      auth?: boolean;
      headers?: Record<string, string>;
      signal?: AbortSignal;
      /** A 401 that is an answer about the request (e.g. wrong current password), not an expired session. */
      formError401?: (problem: Problem) => boolean;
    } = {},
  ): Promise<T> {
    const auth = opts.auth ?? true;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { ...this.headers(auth, opts.body !== undefined), ...opts.headers },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      const problem = parseProblem(res.status, res.statusText, text);
      if (res.status === 401 && auth && !opts.formError401?.(problem)) this.options.onUnauthorized();
      throw new ApiError(res.status, problem);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  login(body: LoginRequest): Promise<LoginResponse> {
    return this.request('POST', '/api/auth/login', { body, auth: false });
  }

  changePassword(body: PasswordChangeRequest): Promise<PasswordChangeResponse> {
    // The server answers a wrong current password with 401 invalid-credentials: show it on the form.
    return this.request('POST', '/api/auth/password', {
      body,
      formError401: (p) => (p.type ?? '').endsWith('invalid-credentials'),
    });
  }

  authConfig(): Promise<AuthConfig> {
    return this.request('GET', '/api/auth/config', { auth: false });
  }

  /** SSO: the gateway's session cookie, exchanged for a fresh access token (the header guards against CSRF). */
  ssoSession(): Promise<LoginResponse> {
    return this.request('POST', '/api/auth/session', { auth: false, headers: { 'x-q2h-csrf': '1' } });
  }

  /** SSO: ends the gateway's session; the browser then goes to Keycloak's logout URL, if any. */
  ssoLogout(): Promise<{ logoutUrl: string | null }> {
    return this.request('POST', '/api/auth/logout', { auth: false, headers: { 'x-q2h-csrf': '1' } });
  }

  me(): Promise<Me> {
    return this.request('GET', '/api/me');
  }

  listImports(signal?: AbortSignal): Promise<ImportList> {
    return this.request('GET', '/api/imports', { signal });
  }

  /** Deletes a finished import (its findings leave the dashboards) or cancels a running one. */
  retractImport(id: string): Promise<{ id: string; status: 'retracted' }> {
    return this.request('DELETE', `/api/imports/${encodeURIComponent(id)}`);
  }

  getImport(id: string, signal?: AbortSignal): Promise<ImportView> {
    return this.request('GET', `/api/imports/${encodeURIComponent(id)}`, { signal });
  }

  listWatchedFolders(signal?: AbortSignal): Promise<{ items: WatchedFolder[] }> {
    return this.request('GET', '/api/watched-folders', { signal });
  }

  addWatchedFolder(body: WatchedFolderRequest): Promise<WatchedFolder> {
    return this.request('POST', '/api/watched-folders', { body });
  }

  changeWatchedFolder(
    id: string,
    change: Partial<Pick<WatchedFolderRequest, 'enabled' | 'ignoreBefore'>>,
  ): Promise<WatchedFolder> {
    return this.request('PATCH', `/api/watched-folders/${encodeURIComponent(id)}`, { body: change });
  }

  /** Stops watching; the imports the folder produced stay. */
  removeWatchedFolder(id: string): Promise<void> {
    return this.request('DELETE', `/api/watched-folders/${encodeURIComponent(id)}`);
  }

  overview(query: OverviewQuery, signal?: AbortSignal): Promise<Overview> {
    const params = new URLSearchParams();
    params.set('severities', [...query.severities].sort().join(','));
    if (query.report) params.set('report', query.report);
    return this.request('GET', `/api/overview?${params.toString()}`, { signal });
  }

  /**
   * Upload a scan file (multipart field `file`). Uses XMLHttpRequest because fetch cannot
   * report upload progress; `onProgress` receives 0..1.
   */
  uploadImport(file: File, onProgress?: (fraction: number) => void): Promise<ImportAccepted> {
    return file.size > RESUMABLE_ABOVE_BYTES
      ? this.uploadResumable(file, onProgress)
      : this.uploadInOneRequest(file, onProgress);
  }

  /**
   * Large files go in chunks that survive a lost connection or a closed tab: each chunk is retried,
   * a 409 says where the server is, and choosing the same file again resumes the upload it started.
   */
  private async uploadResumable(
    file: File,
    onProgress?: (fraction: number) => void,
  ): Promise<ImportAccepted> {
    const key = `q2h.upload:${file.name}:${file.size}:${file.lastModified}`;
    let id = localStorage.getItem(key);
    let offset = 0;
    if (id) {
      offset = await this.request<{ offset: number }>('GET', `/api/uploads/${id}`).then(
        (u) => u.offset,
        () => -1,
      );
      if (offset < 0) [id, offset] = [null, 0];
    }
    if (!id) {
      id = (
        await this.request<{ id: string }>('POST', '/api/uploads', {
          body: { filename: file.name, size: file.size },
        })
      ).id;
      localStorage.setItem(key, id);
    }
    for (let failures = 0; offset < file.size; ) {
      onProgress?.(offset / file.size);
      try {
        offset = await this.sendChunk(id, offset, file.slice(offset, offset + CHUNK_BYTES));
        failures = 0;
      } catch (error) {
        const serverOffset =
          error instanceof ApiError ? (error.problem as { offset?: number }).offset : undefined;
        if (typeof serverOffset === 'number') offset = serverOffset;
        else if (++failures > 5 || (error instanceof ApiError && error.status !== 0 && error.status < 500))
          throw error;
        else await new Promise((r) => setTimeout(r, 1000 * failures));
      }
    }
    onProgress?.(1);
    const accepted = await this.request<ImportAccepted>('POST', `/api/uploads/${id}/complete`);
    localStorage.removeItem(key);
    return accepted;
  }

  private async sendChunk(id: string, offset: number, chunk: Blob): Promise<number> {
    const response = await fetch(`${this.baseUrl}/api/uploads/${id}`, {
      method: 'PATCH',
      headers: {
        ...this.headers(true, false),
        'content-type': 'application/octet-stream',
        'upload-offset': String(offset),
      },
      body: chunk,
    }).catch(() => {
      throw new ApiError(0, { title: 'Network error', detail: 'the connection was lost; retrying' });
    });
    const text = await response.text();
    if (!response.ok)
      throw new ApiError(response.status, parseProblem(response.status, response.statusText, text));
    return (JSON.parse(text) as { offset: number }).offset;
  }

  private uploadInOneRequest(file: File, onProgress?: (fraction: number) => void): Promise<ImportAccepted> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.baseUrl}/api/imports`);
      for (const [k, v] of Object.entries(this.headers(true, false))) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) onProgress?.(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress?.(1);
          try {
            resolve(JSON.parse(xhr.responseText) as ImportAccepted);
          } catch {
            reject(new ApiError(xhr.status, { title: 'Invalid response from server' }));
          }
          return;
        }
        if (xhr.status === 401) this.options.onUnauthorized();
        reject(new ApiError(xhr.status, parseProblem(xhr.status, xhr.statusText, xhr.responseText)));
      };
      xhr.onerror = () =>
        reject(new ApiError(0, { title: 'Network error', detail: 'Upload failed: network error' }));
      xhr.onabort = () => reject(new ApiError(0, { title: 'Aborted', detail: 'Upload cancelled' }));
      const form = new FormData();
      form.append('file', file, file.name);
      xhr.send(form);
    });
  }
}

let unauthorizedHandler: () => void = () => {};

/** The router installs this so a 401 anywhere sends the user back to /login. */
export function setUnauthorizedHandler(handler: () => void): void {
  unauthorizedHandler = handler;
}

export const api = new ApiClient({
  getToken: () => auth.token,
  onUnauthorized: () => unauthorizedHandler(),
});
