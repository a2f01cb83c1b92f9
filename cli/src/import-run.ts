import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileInChunks } from './file-chunks.ts';
import type { FileOutcome } from './file-outcome.ts';
import type { ImportReporter } from './import-reporter.ts';
import type { ImportView, Q2hClient } from './q2h-client.ts';
import { reportBody } from './report-body.ts';
import { ServerUnreachableError, SetupError } from './setup-error.ts';

export interface ReportFile {
  path: string;
  bytes: number;
}

export interface ImportRunDeps {
  client: Q2hClient;
  reporter: ImportReporter;
  /** Between two GET /api/imports/{id}: the web UI polls at the same pace. */
  pollMs?: number;
}

/** The catalog is filled by the projector from the event log, so a just-accepted import can 404 a moment. */
const NOT_IN_CATALOG_GRACE_MS = 60_000;
/** Polls in a row that may fail (gateway restarting, a 5xx) before giving up. */
const POLL_ATTEMPTS = 10;

/**
 * Every file must be a readable regular file before anything is uploaded: a typo in the last of ten
 * paths should not leave nine imports behind a usage error.
 */
export async function checkReadable(paths: readonly string[]): Promise<ReportFile[]> {
  const problems: string[] = [];
  const files: ReportFile[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        problems.push(`${path} (not a regular file)`);
        continue;
      }
      await access(path, constants.R_OK);
      files.push({ path, bytes: info.size });
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : message;
      problems.push(`${path} (${why})`);
    }
  }
  if (problems.length > 0) throw new SetupError(`cannot read ${problems.join(', ')}`);
  return files;
}

/** Uploads each file in turn and (with `wait`) follows its import to the end. */
export async function importFiles(
  files: readonly ReportFile[],
  deps: ImportRunDeps,
  wait: boolean,
): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const outcome = await importFile(file, deps, wait);
    deps.reporter.fileFinished(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

async function importFile(file: ReportFile, deps: ImportRunDeps, wait: boolean): Promise<FileOutcome> {
  const { client, reporter } = deps;
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  reporter.uploadStarted(file.path, file.bytes);
  const body = reportBody(readFileInChunks(file.path), file.bytes, (sent) => reporter.uploadProgress(sent));
  const answer = await client.uploadReport(file.path, body);
  const base = { file: file.path, findings: null, hosts: null, coherenceLevel: null, error: null };
  if (answer.kind === 'refused') {
    return {
      ...base,
      id: null,
      duplicate: false,
      status: 'refused',
      error: { reason: answer.detail, httpStatus: answer.httpStatus },
      seconds: seconds(),
    };
  }
  const duplicate = answer.kind === 'duplicate';
  if (!wait) return { ...base, id: answer.id, duplicate, status: answer.status, seconds: seconds() };
  const view = await followImport(answer.id, deps);
  return {
    file: file.path,
    id: answer.id,
    duplicate,
    status: view.status,
    findings: view.findings,
    hosts: view.hosts,
    coherenceLevel: view.coherenceLevel,
    error: view.error ?? null,
    seconds: seconds(),
  };
}

const finished = (view: ImportView) =>
  view.status === 'done' || view.status === 'failed' || view.status === 'retracted';

/** Polls GET /api/imports/{id} until the import is done, failed (or retracted meanwhile). */
async function followImport(id: string, deps: ImportRunDeps): Promise<ImportView> {
  const pollMs = deps.pollMs ?? 500;
  const since = performance.now();
  let failures = 0;
  for (;;) {
    let view: ImportView | undefined;
    try {
      view = await deps.client.getImport(id);
      failures = 0;
    } catch (error) {
      const transient = error instanceof ServerUnreachableError || !(error instanceof SetupError);
      if (!transient || ++failures >= POLL_ATTEMPTS) {
        if (error instanceof SetupError) throw error;
        throw new SetupError(`following import ${id}: ${(error as Error).message}`);
      }
    }
    if (view) {
      deps.reporter.importProgress(view);
      if (finished(view)) return view;
    } else if (failures === 0 && performance.now() - since > NOT_IN_CATALOG_GRACE_MS) {
      throw new SetupError(
        `import ${id} was accepted but is still not in the catalog after ${NOT_IN_CATALOG_GRACE_MS / 1000}s (is the projector running?)`,
      );
    }
    await sleep(pollMs);
  }
}
