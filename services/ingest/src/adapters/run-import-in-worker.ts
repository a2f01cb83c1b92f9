import { Worker } from 'node:worker_threads';
import type { ImportJob, ImportOutcome } from '../domain/import-job.ts';
import type {
  ImportWorkerData,
  ImportWorkerMessage,
  UploadVerdict,
  WorkerEventLog,
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

/** Runs each import job on a worker thread publishing to `eventLog`. */
export function importRunnerInWorker(eventLog: WorkerEventLog): ImportRunner {
  return (job, progress, uploading) => {
    const worker = new Worker(workerFile, {
      workerData: { job, eventLog, uploading } satisfies ImportWorkerData,
      // Parsing allocates fast and briefly (chunks, rows, events). The default young generation made
      // scavenges 42 % of the worker's CPU; 128 MB fixed that while batches in flight were still kept
      // alive. Since they are released once encoded, 32, 64, 128 and 256 MB import 1 GiB in the same
      // 17–21 s, and 64 MB grew the server's RSS ~100 MB less than 128 MB (bench/RESULTS.md, 05:05).
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    const outcome = new Promise<ImportOutcome>((resolve, reject) => {
      let result: ImportOutcome | undefined;
      worker.on('message', (message: ImportWorkerMessage) => {
        if (message.kind === 'rows') progress.rows(message.rows, message.bytes);
        else if (message.kind === 'published') progress.published(message.topic, message.events);
        else result = message.outcome;
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (result) resolve(result);
        else reject(new Error(`import worker exited with code ${code} before finishing`));
      });
    });
    return { outcome, verdict: (verdict) => worker.postMessage(verdict) };
  };
}
