// A worker thread that publishes one record to the embedded log at workerData.path (tsx registered here:
// worker threads need the loader in their own thread).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { openLmdbEventLog } = await import('../src/index.ts');
const log = await openLmdbEventLog({ path: workerData.path });
await log.publish(workerData.topic, [{ key: 'k', value: Buffer.from('from another thread') }]);
await log.close();
