import { rm } from 'node:fs/promises';
import type { Logger, Metrics } from '@q2h/platform';
import type { ImportRunner } from './adapters/run-import-in-worker.ts';
import { type EventPublisher, type ImportJob, importAccepted } from './domain/import-job.ts';

export type ImportStatus = 'accepted' | 'processing' | 'done' | 'failed';

/** Asks the read side whether an import is already known (embedded: in process; distributed: the query API). */
export type ImportLookup = (tenant: string, importId: string) => Promise<ImportStatus | undefined>;

/**
 * Accepts stored uploads and runs their import jobs in the background, one file at a time per import id.
 * A failed import may be uploaded again; a known one is recognised and counts nothing twice.
 */
export class ImportService {
  private readonly running = new Map<string, Promise<void>>();

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

  async existing(tenant: string, importId: string): Promise<ImportStatus | undefined> {
    if (this.running.has(`${tenant}|${importId}`)) return 'processing';
    const status = await this.deps.lookup(tenant, importId);
    return status === 'failed' ? undefined : status;
  }

  async accept(job: ImportJob): Promise<ImportStatus> {
    const key = `${job.tenant}|${job.importId}`;
    await this.deps.publisher.publish('q2h.imports.v1', [importAccepted(job, Date.now())]);
    const run = this.run(job).finally(() => this.running.delete(key));
    this.running.set(key, run);
    return 'accepted';
  }

  /** Resolves when every running import has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  private async run(job: ImportJob): Promise<void> {
    const log = this.deps.logger.child({ importId: job.importId, file: job.filename });
    const started = performance.now();
    try {
      const { metrics } = this.deps;
      const outcome = await this.deps.runner(job, {
        rows: (rows, bytes) => {
          metrics.rowsIngested.inc({ dialect: job.dialect }, rows);
          metrics.bytesIngested.inc({ dialect: job.dialect }, bytes);
        },
        published: (topic, events) => metrics.eventsPublished.inc({ topic }, events),
      });
      const seconds = (performance.now() - started) / 1000;
      if (outcome.kind === 'completed') log.info({ findings: outcome.findings, seconds }, 'import parsed');
      else log.warn({ line: outcome.line, reason: outcome.reason }, 'import failed');
    } catch (error) {
      // An outage (disk, event log), not bad data: say so on the import, keep serving.
      log.error({ err: error }, 'import crashed');
      await this.deps.publisher
        .publish('q2h.imports.v1', [
          {
            type: 'ImportFailed',
            eventId: `${job.importId}:failed`,
            tenant: job.tenant,
            importId: job.importId,
            occurredAt: Date.now(),
            reason: `internal error: ${(error as Error).message}`,
            line: null,
            rowsDone: 0,
          },
        ])
        .catch((e: unknown) => log.error({ err: e }, 'could not record the failure'));
    } finally {
      await rm(job.path, { force: true });
    }
  }
}
