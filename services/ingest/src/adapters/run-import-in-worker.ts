import { Worker } from 'node:worker_threads';
import type { ImportJob, ImportOutcome } from '../domain/import-job.ts';
import type {
  ImportWorkerData,
  ImportWorkerMessage,
  UploadVerdict,
  WorkerEventLog,
  WorkerJob,
} from './import-worker.ts';

export type { WorkerEventLog };

export interface ImportProgressSink {
  rows(rows: number, bytes: number): void;
  published(topic: string, events: number): void;
}

export interface RunningImportJob {
  outcome: Promise<ImportOutcome>;
  /** For a job started during its upload: how the upload ended. */
  verdict(verdict: UploadVerdict): void;
}

export type ImportRunner = (
  job: ImportJob,
  progress: ImportProgressSink,
  uploading: boolean,
) => RunningImportJob;

// A plain-JS entry that registers the TypeScript loader in the worker thread, then loads the worker.
const workerFile = new URL('./import-worker-entry.mjs', import.meta.url);

/** How long after a job the next worker is started ahead (see importWorkers). */
const STANDBY_AFTER_MS = 5000;

export interface ImportWorkers {
  run: ImportRunner;
  /** Stops the worker waiting for a job (jobs in flight are awaited by their callers). */
  close(): Promise<void>;
}

/**
 * Runs each import job on its own worker thread publishing to `eventLog`. One worker is started
 * ahead and waits for the next job: a thread with its TypeScript loader, modules and event log takes
 * ~1 s to start, which a small report would otherwise wait for, and its memory then belongs to the
 * server's idle baseline. A worker runs one job and exits, its heap with it; the next one starts a few
 * seconds after that job is over: not while the import is still being projected, whose busiest moment
 * it is (1 GiB report: the new worker's start-up added ~60 MB to the peak RSS and took CPU from the
 * promotion to the latest state). Jobs arriving meanwhile, or together, get fresh workers.
 */
export function importWorkers(eventLog: WorkerEventLog): ImportWorkers {
  let ready: Worker | undefined;
  let closed = false;
  let standby: NodeJS.Timeout | undefined;
  const start = () => {
    const worker = new Worker(workerFile, {
      workerData: { eventLog } satisfies ImportWorkerData,
      // Parsing allocates fast and briefly (chunks, rows, events). The default young generation made
      // scavenges 42 % of the worker's CPU; 128 MB fixed that while batches in flight were still kept
      // alive. Since they are released once encoded, 32, 64, 128 and 256 MB import 1 GiB in the same
      // 17–21 s, and 64 MB grew the server's RSS ~100 MB less than 128 MB (bench/RESULTS.md, 05:05).
      // Since the reader decodes fewer fields, 32 MB is as fast again and ~35 MB smaller (16 MB: slower).
      resourceLimits: { maxYoungGenerationSizeMb: 32 },
    });
    worker.unref(); // waiting for a job does not keep the process alive
    // A worker that fails while waiting is dropped; the next job starts another (and sees its error).
    const drop = () => {
      if (ready === worker) ready = undefined;
    };
    worker.once('exit', drop).on('error', drop);
    return worker;
  };
  const startAhead = () => {
    if (!closed && !ready) ready = start();
  };
  startAhead();

  return {
    run(job, progress, uploading) {
      const worker = ready ?? start();
      ready = undefined;
      worker.ref();
      const outcome = new Promise<ImportOutcome>((resolve, reject) => {
        let result: ImportOutcome | undefined;
        worker.on('message', (message: ImportWorkerMessage) => {
          if (message.kind === 'rows') progress.rows(message.rows, message.bytes);
          else if (message.kind === 'published') progress.published(message.topic, message.events);
          else result = message.outcome;
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          clearTimeout(standby);
          standby = setTimeout(startAhead, STANDBY_AFTER_MS).unref();
          if (result) resolve(result);
          else reject(new Error(`import worker exited with code ${code} before finishing`));
        });
      });
      worker.postMessage({ kind: 'job', job, uploading } satisfies WorkerJob);
      return { outcome, verdict: (verdict) => worker.postMessage(verdict) };
    },
    async close() {
      closed = true;
      const idle = ready;
      ready = undefined;
      await idle?.terminate();
    },
  };
}
