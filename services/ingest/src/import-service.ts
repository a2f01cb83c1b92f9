import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { ImportEvent } from '@q2h/contracts';
import type { Logger, Metrics } from '@q2h/platform';
import type { ImportRunner, RunningImportJob } from './adapters/run-import-in-worker.ts';
import { type EventPublisher, type ImportJob, importAccepted } from './domain/import-job.ts';

export type ImportStatus = 'accepted' | 'processing' | 'done' | 'failed' | 'retracted';

/** Finds an earlier import of the same content (embedded: in process; distributed: the query API). */
export type ImportLookup = (
  tenant: string,
  sha256: string,
) => Promise<{ id: string; status: ImportStatus } | undefined>;

/** With the log's own retries (~2 min each), a failure is recorded through an outage of ~10 min. */
const RECORD_FAILURE_ATTEMPTS = 5;

export function newImportId(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Runs import jobs in the background. A job starts as soon as the head of its upload is recognised and
 * reads the file while it is still arriving; when the upload ends it is either admitted (ImportAccepted,
 * then its closing events) or discarded (the same content was imported before, or the upload failed).
 */
export class ImportService {
  private readonly running = new Map<string, Promise<void>>();
  private readonly jobs = new Map<string, RunningImportJob>();
  /** Content being admitted or imported right now, by tenant|sha256: two identical uploads at once. */
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly deps: {
      publisher: EventPublisher;
      /** Runs the parse-and-publish job (embedded: on a worker thread). */
      runner: ImportRunner;
      lookup: ImportLookup;
      logger: Logger;
      metrics: Metrics;
    },
  ) {}

  /** Starts parsing an upload in progress; call admit() or discard() when the upload has ended. */
  begin(job: ImportJob): RunningImportJob {
    const { metrics } = this.deps;
    const run = this.deps.runner(
      job,
      {
        rows: (rows, bytes) => {
          metrics.rowsIngested.inc({ dialect: job.dialect }, rows);
          metrics.bytesIngested.inc({ dialect: job.dialect }, bytes);
        },
        published: (topic, events) => metrics.eventsPublished.inc({ topic }, events),
      },
      true,
    );
    const key = `${job.tenant}|${job.importId}`;
    this.jobs.set(key, run);
    this.running.set(
      key,
      this.follow(job, run).finally(() => {
        this.running.delete(key);
        this.jobs.delete(key);
      }),
    );
    return run;
  }

  /** Stops an import running in this process (its retraction makes sure nothing of it counts). */
  cancel(tenant: string, importId: string): boolean {
    const run = this.jobs.get(`${tenant}|${importId}`);
    run?.verdict({ kind: 'discarded' });
    return run !== undefined;
  }

  /** An earlier import of this content that counts (done or still running), if any. */
  async duplicateOf(
    tenant: string,
    sha256: string,
  ): Promise<{ id: string; status: ImportStatus } | undefined> {
    const inFlight = this.inFlight.get(`${tenant}|${sha256}`);
    if (inFlight) return { id: inFlight, status: 'processing' };
    const earlier = await this.deps.lookup(tenant, sha256);
    return earlier && earlier.status !== 'failed' ? earlier : undefined;
  }

  /** The upload is complete and new: record it (ImportAccepted) and let the job finish. */
  async admit(job: ImportJob, run: RunningImportJob): Promise<void> {
    const key = `${job.tenant}|${job.sha256}`;
    this.inFlight.set(key, job.importId);
    void run.outcome.finally(() => this.inFlight.delete(key)).catch(() => {});
    await this.deps.publisher.publish('q2h.imports.v1', [importAccepted(job, Date.now())]);
    run.verdict({ kind: 'admitted', bytes: job.bytesTotal });
  }

  discard(run: RunningImportJob): void {
    run.verdict({ kind: 'discarded' });
  }

  /** Resolves when every running import has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  private async follow(job: ImportJob, run: RunningImportJob): Promise<void> {
    const log = this.deps.logger.child({ importId: job.importId, file: job.filename });
    const started = performance.now();
    try {
      const outcome = await run.outcome;
      const seconds = (performance.now() - started) / 1000;
      if (outcome.kind === 'completed') log.info({ findings: outcome.findings, seconds }, 'import parsed');
      else if (outcome.kind === 'failed')
        log.warn({ line: outcome.line, reason: outcome.reason }, 'import failed');
      else log.info('import discarded');
    } catch (error) {
      // An outage (disk, event log), not bad data: say so on the import, keep serving. The log may be
      // the outage: keep trying to record the failure, or the import would look stuck forever.
      log.error({ err: error }, 'import crashed');
      const failed: ImportEvent = {
        type: 'ImportFailed',
        eventId: `${job.importId}:failed`,
        tenant: job.tenant,
        importId: job.importId,
        occurredAt: Date.now(),
        reason: `internal error: ${(error as Error).message}`,
        line: null,
        rowsDone: 0,
      };
      for (let attempt = 1; ; attempt++) {
        try {
          await this.deps.publisher.publish('q2h.imports.v1', [failed]);
          break;
        } catch (e) {
          log.error({ err: e, attempt }, 'could not record the failure');
          if (attempt === RECORD_FAILURE_ATTEMPTS) break;
          await new Promise((r) => setTimeout(r, 5000));
        }
      }
    } finally {
      await rm(job.path, { force: true });
    }
  }
}
