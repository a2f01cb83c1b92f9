import { Worker } from 'node:worker_threads';
import type { ImportJob, ImportOutcome } from '../domain/import-job.ts';
import type { ImportWorkerData, ImportWorkerMessage } from './import-worker.ts';

export interface ImportProgressSink {
  rows(rows: number, bytes: number): void;
  published(topic: string, events: number): void;
}

export type ImportRunner = (job: ImportJob, progress: ImportProgressSink) => Promise<ImportOutcome>;

// A plain-JS entry that registers the TypeScript loader in the worker thread, then loads the worker.
const workerFile = new URL('./import-worker-entry.mjs', import.meta.url);

/** Runs each import job on a worker thread publishing to the embedded LMDB log at `eventLogPath`. */
export function importRunnerInWorker(eventLogPath: string): ImportRunner {
  return (job, progress) =>
    new Promise<ImportOutcome>((resolve, reject) => {
      const worker = new Worker(workerFile, {
        workerData: { job, eventLogPath } satisfies ImportWorkerData,
      });
      let outcome: ImportOutcome | undefined;
      worker.on('message', (message: ImportWorkerMessage) => {
        if (message.kind === 'rows') progress.rows(message.rows, message.bytes);
        else if (message.kind === 'published') progress.published(message.topic, message.events);
        else outcome = message.outcome;
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (outcome) resolve(outcome);
        else reject(new Error(`import worker exited with code ${code} before finishing`));
      });
    });
}
