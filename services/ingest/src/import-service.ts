import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** How a complete upload was taken: a new import, or the same content as an import that counts already. */
export type Admission = { kind: 'admitted' } | { kind: 'duplicate'; id: string; status: ImportStatus };

/** How long a claim on admitted content outlives its job while the catalog catches up (see release). */
const CATALOG_WAIT_MS = 10_000;

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
  /**
   * Content being admitted or imported right now, by tenant|sha256, with what an identical upload is
   * told: the import that holds the claim, once decided.
   */
  private readonly claims = new Map<string, Promise<{ id: string; status: ImportStatus }>>();

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

  /** Starts parsing an upload in progress; call admitUnlessDuplicate() or discard() when it has ended. */
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

  /**
   * The upload is complete: admit it (ImportAccepted, then the job finishes) unless the tenant already
   * has an import of this content that counts, done or in flight. The claim on the content is taken
   * before the first await, so of identical uploads ending together exactly one is admitted; the others
   * are told its id (the catalog alone could not say: it learns of an import from the event log, later).
   */
  async admitUnlessDuplicate(job: ImportJob, run: RunningImportJob): Promise<Admission> {
    const key = `${job.tenant}|${job.sha256}`;
    const claimed = this.claims.get(key);
    if (claimed) {
      this.discard(run);
      return { kind: 'duplicate', ...(await claimed) };
    }
    const decision = this.decide(job, run);
    const claim = decision.then((admission) =>
      admission.kind === 'admitted' ? { id: job.importId, status: 'processing' as const } : admission,
    );
    claim.catch(() => {}); // the waiters see the rejection; so does this caller, below
    this.claims.set(key, claim);
    try {
      const admission = await decision;
      if (admission.kind === 'duplicate') this.claims.delete(key);
      else void this.release(key, job, run);
      return admission;
    } catch (error) {
      this.claims.delete(key);
      this.discard(run);
      throw error;
    }
  }

  private async decide(job: ImportJob, run: RunningImportJob): Promise<Admission> {
    const earlier = await this.deps.lookup(job.tenant, job.sha256);
    if (earlier && earlier.status !== 'failed') {
      this.discard(run);
      return { kind: 'duplicate', id: earlier.id, status: earlier.status };
    }
    await this.accept(job, run);
    return { kind: 'admitted' };
  }

  private async accept(job: ImportJob, run: RunningImportJob): Promise<void> {
    await this.deps.publisher.publish('q2h.imports.v1', [importAccepted(job, Date.now())]);
    run.verdict({ kind: 'admitted', bytes: job.bytesTotal });
  }

  /**
   * Drops the claim on admitted content once its job is over: at once when it failed (a failed import
   * does not count, the same file may be sent again), else when the catalog answers for it, so an upload
   * right after completion is not admitted a second time while the projector catches up.
   */
  private async release(key: string, job: ImportJob, run: RunningImportJob): Promise<void> {
    const outcome = await run.outcome.catch(() => undefined);
    const deadline = Date.now() + CATALOG_WAIT_MS;
    while (outcome?.kind === 'completed' && Date.now() < deadline) {
      const known = await this.deps.lookup(job.tenant, job.sha256).catch(() => 'unreachable' as const);
      if (known) break;
      await sleep(50, undefined, { ref: false });
    }
    this.claims.delete(key);
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
