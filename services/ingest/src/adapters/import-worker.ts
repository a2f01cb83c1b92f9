import { parentPort, workerData } from 'node:worker_threads';
import { createSerde, localSchemaIds } from '@q2h/contracts';
import { openLmdbEventLog } from '@q2h/event-log';
import { type ImportJob, runImport } from '../domain/import-job.ts';
import { logEventPublisher } from './log-event-publisher.ts';

/**
 * One import on its own thread: parsing, normalising and Avro encoding take a core of their own, so the
 * main thread stays free for HTTP and the projector (measured: 35 MB/s parse+publish alone, 15 MB/s
 * when sharing the thread with the projector). The worker opens the same LMDB log (lmdb-js shares
 * one environment across threads); consumers see its appends by polling.
 */
export interface ImportWorkerData {
  job: ImportJob;
  eventLogPath: string;
}

export type ImportWorkerMessage =
  | { kind: 'rows'; rows: number; bytes: number }
  | { kind: 'published'; topic: string; events: number }
  | { kind: 'outcome'; outcome: Awaited<ReturnType<typeof runImport>> };

const { job, eventLogPath } = workerData as ImportWorkerData;
const log = await openLmdbEventLog({ path: eventLogPath });
try {
  const publisher = logEventPublisher(log, createSerde(localSchemaIds));
  const outcome = await runImport(job, {
    publisher: {
      async publish(topic, events) {
        await publisher.publish(topic, events);
        parentPort?.postMessage({
          kind: 'published',
          topic,
          events: events.length,
        } satisfies ImportWorkerMessage);
      },
    },
    onRows: (rows, bytes) =>
      parentPort?.postMessage({ kind: 'rows', rows, bytes } satisfies ImportWorkerMessage),
  });
  parentPort?.postMessage({ kind: 'outcome', outcome } satisfies ImportWorkerMessage);
} finally {
  await log.close();
}
