/**
 * Child process of the LMDB durability tests: publishes durabilityRecord(0), (1), ... in batches and, after
 * each publish resolved, prints one line per record: `<seq> <partition> <offset>`. It is the only writer
 * of a fresh log, so it knows the offsets (dense from 0 per partition).
 * Usage: node --import tsx lmdb-publisher.child.ts <dir> [count]   (no count: until killed)
 */
import { partitionFor } from '../src/event-log.ts';
import { openLmdbEventLog } from '../src/lmdb-event-log.ts';
import { DURABILITY_PARTITIONS, DURABILITY_TOPIC, durabilityRecord } from './durability-records.ts';

const [dir, countArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: lmdb-publisher.child.ts <dir> [count]');
const count = countArg ? Number(countArg) : Number.POSITIVE_INFINITY;
const BATCH = 100;

const log = await openLmdbEventLog({ path: dir });
await log.ensureTopics([{ name: DURABILITY_TOPIC, partitions: DURABILITY_PARTITIONS }]);
const next = new Array<number>(DURABILITY_PARTITIONS).fill(0);
let seq = 0;
while (seq < count) {
  const batch = Array.from({ length: Math.min(BATCH, count - seq) }, (_, i) => durabilityRecord(seq + i));
  await log.publish(DURABILITY_TOPIC, batch);
  let acks = '';
  for (const r of batch) {
    const p = partitionFor(r.key, DURABILITY_PARTITIONS);
    acks += `${seq++} ${p} ${next[p]!++}\n`;
  }
  process.stdout.write(acks); // synchronous for pipes on POSIX: printed before the next publish starts
}
await log.close();
