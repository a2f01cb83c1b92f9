import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createSerde, localSchemaIds } from '@q2h/contracts';
import { registerTopicSchemas } from '@q2h/contracts/registry';
import { openKafkaEventLog, openLmdbEventLog } from '@q2h/event-log';
import { type ImportJob, type ImportOutcome, PUBLISH_BATCH_BYTES, runImport } from '../domain/import-job.ts';
import { logEventPublisher } from './log-event-publisher.ts';

/**
 * One import on its own thread: parsing, normalising and Avro encoding take a core of their own, so the
 * main thread stays free for HTTP and the projector (measured: 35 MB/s parse+publish alone, 15 MB/s
 * when sharing the thread with the projector). Embedded, the worker opens the same LMDB log (lmdb-js
 * shares one environment across threads; consumers see its appends by polling); distributed, it has
 * its own Kafka producer.
 */
/** The event log the worker publishes to: the embedded LMDB file, or Kafka with the schema registry. */
export type WorkerEventLog =
  | { kind: 'lmdb'; path: string }
  | { kind: 'kafka'; brokers: string[]; schemaRegistryUrl: string };

export interface ImportWorkerData {
  eventLog: WorkerEventLog;
}

/** Main → worker, once: the job this worker runs (it was started before the job existed). */
export interface WorkerJob {
  kind: 'job';
  job: ImportJob;
  /** The file is still being uploaded: follow it until the main thread says how it ended. */
  uploading: boolean;
}

/** Worker → main. */
export type ImportWorkerMessage =
  | { kind: 'rows'; rows: number; bytes: number }
  | { kind: 'published'; topic: string; events: number }
  | { kind: 'outcome'; outcome: ImportOutcome };

/** Main → worker, for an import that started during its upload. */
export type UploadVerdict = { kind: 'admitted'; bytes: number } | { kind: 'discarded' };

const { eventLog } = workerData as ImportWorkerData;
const post = (message: ImportWorkerMessage) => parentPort?.postMessage(message);

/** Metrics reach the main thread summed, at most every 250 ms: one message per chunk cost 5 % of the worker. */
const pendingCounts = { rows: 0, bytes: 0, published: new Map<string, number>() };
let lastPost = 0;
function postCounts(force = false): void {
  const now = performance.now();
  if (!force && now - lastPost < 250) return;
  lastPost = now;
  if (pendingCounts.rows > 0 || pendingCounts.bytes > 0) {
    post({ kind: 'rows', rows: pendingCounts.rows, bytes: pendingCounts.bytes });
  }
  for (const [topic, events] of pendingCounts.published) post({ kind: 'published', topic, events });
  pendingCounts.rows = 0;
  pendingCounts.bytes = 0;
  pendingCounts.published.clear();
}

let finalSize: number | undefined;
let discarded = false;
let jobArrived: (message: WorkerJob) => void = () => {};
const jobMessage = new Promise<WorkerJob>((resolve) => {
  jobArrived = resolve;
});
let admit: (admitted: boolean) => void = () => {};
const admission = new Promise<boolean>((resolve) => {
  admit = resolve;
});
// One listener from the start: the verdict may follow the job before this thread reads the job.
parentPort?.on('message', (message: WorkerJob | UploadVerdict) => {
  if (message.kind === 'job') return jobArrived(message);
  if (message.kind === 'admitted') finalSize = message.bytes;
  else {
    discarded = true;
    finalSize = 0; // stop following the file
  }
  admit(message.kind === 'admitted');
});

const log =
  eventLog.kind === 'lmdb'
    ? await openLmdbEventLog({ path: eventLog.path })
    : await openKafkaEventLog({ brokers: eventLog.brokers, clientId: `q2h-import-${threadId}` });
try {
  const schemaIds =
    eventLog.kind === 'lmdb' ? localSchemaIds : await registerTopicSchemas(eventLog.schemaRegistryUrl);
  const publisher = logEventPublisher(log, createSerde(schemaIds));
  // Everything above is ready before the job arrives (see importWorkers).
  const { job, uploading } = await jobMessage;
  const outcome = await runImport(job, {
    publishBatchBytes: PUBLISH_BATCH_BYTES[eventLog.kind],
    publisher: {
      // Not async, like the publisher: nothing keeps the events alive while they are written.
      publish(topic, events) {
        const count = events.length;
        return publisher.publish(topic, events).then(() => {
          pendingCounts.published.set(topic, (pendingCounts.published.get(topic) ?? 0) + count);
          postCounts();
        });
      },
    },
    onRows: (rows, bytes) => {
      pendingCounts.rows += rows;
      pendingCounts.bytes += bytes;
      postCounts();
    },
    ...(uploading ? { upload: { finalSize: () => finalSize, discarded: () => discarded, admission } } : {}),
  });
  postCounts(true);
  post({ kind: 'outcome', outcome });
} finally {
  await log.close();
  parentPort?.close();
}
