import { Buffer } from 'node:buffer';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { open as lmdbOpen } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventLog, partitionFor, type StoredRecord } from '../src/event-log.ts';
import { openLmdbEventLog } from '../src/lmdb-event-log.ts';
import { DURABILITY_PARTITIONS, DURABILITY_TOPIC, durabilityRecord } from './durability-records.ts';
import { eventLogContract } from './event-log.contract.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const publisherScript = join(here, 'lmdb-publisher.child.ts');

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'q2h-event-log-'));
  tempDirs.push(dir);
  return dir;
}

const open = (path: string) => openLmdbEventLog({ path, pollIntervalMs: 20, retryDelayMs: 50 });

eventLogContract('lmdb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'q2h-event-log-'));
  const log = await open(dir);
  return {
    log,
    async dispose() {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Reads a whole topic with a fresh group, keyed by `partition:offset`. */
async function readAll(log: EventLog, topic: string): Promise<Map<string, StoredRecord>> {
  const all = new Map<string, StoredRecord>();
  const consumer = log.consume(`read-all-${Math.random()}`, topic, async (records) => {
    for (const r of records) all.set(`${r.partition}:${r.offset}`, r);
  });
  await waitFor(async () => (await consumer.lag()) === 0, 'the whole topic');
  await consumer.stop();
  return all;
}

interface Ack {
  seq: number;
  partition: number;
  offset: number;
}

/** Runs the child publisher; `onAck` sees every acknowledged record as soon as its line arrives. */
function runPublisher(
  dir: string,
  count: number | undefined,
  onAck: (ack: Ack, child: ChildProcess) => void,
) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', publisherScript, dir, ...(count === undefined ? [] : [String(count)])],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let pending = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!; // an incomplete last line is not an acknowledgement yet
    for (const line of lines) {
      const [seq, partition, offset] = line.split(' ').map(Number);
      onAck({ seq: seq!, partition: partition!, offset: offset! }, child);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done) =>
    child.on('exit', (code, signal) => done({ code, signal, stderr })),
  );
  return { child, exit };
}

function expectDurabilityRecord(stored: StoredRecord | undefined, seq: number) {
  const expected = durabilityRecord(seq);
  expect(stored, `record seq ${seq}`).toBeDefined();
  expect(stored!.key).toBe(expected.key);
  expect(stored!.headers).toEqual(expected.headers);
  expect(Buffer.from(stored!.value).equals(expected.value), `bytes of seq ${seq}`).toBe(true);
}

describe('LMDB event log', () => {
  afterEach(() => {
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('Given an unknown topic, When records are published to it, Then publish rejects', async () => {
    const log = await open(tempDir());
    await expect(log.publish('nope', [{ key: 'k', value: new Uint8Array([1]) }])).rejects.toThrow(
      /unknown topic/,
    );
    await log.close();
  });

  it('Given an existing topic, When ensureTopics repeats it, Then it is a no-op, and a different partition count is rejected', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 't', partitions: 3 }]);
    await log.ensureTopics([{ name: 't', partitions: 3 }]);
    await expect(log.ensureTopics([{ name: 't', partitions: 4 }])).rejects.toThrow(/3 partitions/);
    await expect(log.ensureTopics([{ name: 'u', partitions: 0 }])).rejects.toThrow(/partition count/);
    await log.close();
  });

  it('Given several publish calls, When the records are read back, Then each sits in partitionFor(key) at dense offsets from 0', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 't', partitions: 5 }]);
    const keys = Array.from({ length: 300 }, (_, i) => `tenant|10.1.${i % 41}.${i % 9}`);
    await log.publish(
      't',
      keys.slice(0, 120).map((key) => ({ key, value: new Uint8Array([1]) })),
    );
    await log.publish(
      't',
      keys.slice(120).map((key) => ({ key, value: new Uint8Array([2]) })),
    );
    const all = await readAll(log, 't');
    expect(all.size).toBe(300);
    const perPartition = new Map<number, StoredRecord[]>();
    for (const r of all.values()) {
      expect(r.partition).toBe(partitionFor(r.key, 5));
      perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r]);
    }
    for (const records of perPartition.values()) {
      expect(records.map((r) => r.offset).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
    }
    await log.close();
  });

  it('Given concurrent publish calls, When they complete, Then every record got its own offset, dense per partition', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 't', partitions: 3 }]);
    await Promise.all(
      Array.from({ length: 8 }, (_, call) =>
        log.publish(
          't',
          Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 11}`, value: new Uint8Array([call, i]) })),
        ),
      ),
    );
    const all = await readAll(log, 't');
    expect(all.size).toBe(400);
    for (let p = 0; p < 3; p++) {
      const offsets = [...all.values()].filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets.sort((a, b) => a - b)).toEqual(offsets.map((_, i) => i));
    }
    // Each call's records of one key stay in call order.
    for (let call = 0; call < 8; call++) {
      const mine = [...all.values()].filter((r) => r.value[0] === call && r.key === 'k3');
      const byOffset = mine.sort((a, b) => a.offset - b.offset).map((r) => r.value[1]);
      expect(byOffset).toEqual([...byOffset].sort((a, b) => a! - b!));
    }
    await log.close();
  });

  it('Given a log closed and reopened, When the same group consumes again, Then records and committed offsets survived', async () => {
    const dir = tempDir();
    const first = await open(dir);
    await first.ensureTopics([{ name: 't', partitions: 2 }]);
    await first.publish(
      't',
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: new Uint8Array([i]) })),
    );
    const seen: number[] = [];
    const consumer = first.consume('g', 't', async (records) => {
      seen.push(...records.map((r) => r.value[0]!));
    });
    await waitFor(() => seen.length === 10, 'the first ten');
    await waitFor(async () => (await consumer.lag()) === 0, 'the commit');
    await first.close();

    const second = await open(dir);
    await second.publish('t', [{ key: 'k-late', value: new Uint8Array([42]) }]);
    const later: number[] = [];
    second.consume('g', 't', async (records) => {
      later.push(...records.map((r) => r.value[0]!));
    });
    await waitFor(() => later.length >= 1, 'the late record');
    await new Promise((r) => setTimeout(r, 100));
    expect(later).toEqual([42]);
    await second.close(); // also stops the consumer
  });

  it('Given a consumer in this process, When another process appends, Then the consumer sees the records by polling', async () => {
    const dir = tempDir();
    const log = await open(dir);
    await log.ensureTopics([{ name: DURABILITY_TOPIC, partitions: DURABILITY_PARTITIONS }]);
    const seen = new Map<number, StoredRecord>();
    log.consume('g', DURABILITY_TOPIC, async (records) => {
      for (const r of records) seen.set(Number(r.headers?.['seq']), r);
    });
    const acks: Ack[] = [];
    const { exit } = runPublisher(dir, 500, (ack) => acks.push(ack));
    const { code, stderr } = await exit;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(acks).toHaveLength(500);
    await waitFor(() => seen.size === 500, 'the other process records');
    for (const ack of acks) {
      const r = seen.get(ack.seq);
      expectDurabilityRecord(r, ack.seq);
      expect([r!.partition, r!.offset]).toEqual([ack.partition, ack.offset]);
    }
    await log.close();
  });

  it('Given a publisher killed with SIGKILL mid-stream, When the log is reopened, Then every acknowledged record is there byte for byte', async () => {
    const dir = tempDir();
    const acks: Ack[] = [];
    const killAfter = 2000 + Math.floor(Math.random() * 1000);
    const { exit } = runPublisher(dir, undefined, (ack, child) => {
      acks.push(ack);
      // A random short delay puts the kill anywhere in the next publish (encoding, commit or fsync).
      if (acks.length === killAfter) setTimeout(() => child.kill('SIGKILL'), Math.random() * 15);
    });
    const { signal, stderr } = await exit;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acks.length).toBeGreaterThanOrEqual(killAfter);

    const log = await open(dir);
    const all = await readAll(log, DURABILITY_TOPIC);
    for (const ack of acks) {
      expectDurabilityRecord(all.get(`${ack.partition}:${ack.offset}`), ack.seq);
    }
    // Whatever else survived (published but not acknowledged) is whole records, in order, with dense offsets.
    expect(all.size).toBeGreaterThanOrEqual(acks.length);
    const bySeq = [...all.values()].map((r) => Number(r.headers?.['seq'])).sort((a, b) => a - b);
    expect(bySeq).toEqual(bySeq.map((_, i) => i));
    for (const r of all.values()) expectDurabilityRecord(r, Number(r.headers?.['seq']));
    for (let p = 0; p < DURABILITY_PARTITIONS; p++) {
      const offsets = [...all.values()].filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets.sort((a, b) => a - b)).toEqual(offsets.map((_, i) => i));
    }

    // The recovered log keeps appending after the surviving records.
    await log.publish(DURABILITY_TOPIC, [durabilityRecord(all.size)]);
    const after = await readAll(log, DURABILITY_TOPIC);
    expect(after.size).toBe(all.size + 1);
    await log.close();
  });

  it('Given a log written before segment files (one record per key, then LZ4-compressed batches in LMDB), When it is opened and consumed, Then its records read as before and new ones follow', async () => {
    const dir = tempDir();
    const setUp = await open(dir);
    await setUp.ensureTopics([{ name: 'legacy', partitions: 1 }]);
    await setUp.close();
    // The layout of earlier versions: u8 1 | u32 key length | key | u32 headers length | headers | value.
    const raw = lmdbOpen({ path: dir, maxDbs: 8 });
    const records = raw.openDB({
      name: 'records',
      encoding: 'binary',
      keyEncoding: 'ordered-binary',
      compression: true,
    });
    const meta = raw.openDB({ name: 'meta', encoding: 'ordered-binary', keyEncoding: 'ordered-binary' });
    const legacyFrame = (key: string, headers: string, value: string) => {
      const k = Buffer.from(key);
      const h = Buffer.from(headers);
      const frame = Buffer.alloc(9 + k.length + h.length);
      frame[0] = 1;
      frame.writeUInt32BE(k.length, 1);
      k.copy(frame, 5);
      frame.writeUInt32BE(h.length, 5 + k.length);
      h.copy(frame, 9 + k.length);
      return Buffer.concat([frame, Buffer.from(value)]);
    };
    await records.put(['legacy', 0, 0], legacyFrame('a', '', 'first'));
    await records.put(['legacy', 0, 1], legacyFrame('b', '{"h":"1"}', 'second'));
    // Then: u8 2 | u32 count | count × (u32 frame length | frame without its first byte), compressed.
    const long = 'x'.repeat(3000);
    const frames = [legacyFrame('c', '', `third${long}`), legacyFrame('d', '', `fourth${long}`)];
    const batch = Buffer.concat([
      Buffer.from([2, 0, 0, 0, 2]),
      ...frames.flatMap((f) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(f.length - 1);
        return [length, f.subarray(1)];
      }),
    ]);
    await records.put(['legacy', 0, 2], batch);
    await meta.put(['hwm', 'legacy', 0], 4);
    await raw.close();

    const log = await open(dir);
    await log.publish('legacy', [{ key: 'e', value: Buffer.from('fifth') }]);
    const all = await readAll(log, 'legacy');
    expect(
      [...all.values()].map((r) => [r.offset, r.key, Buffer.from(r.value).toString(), r.headers]),
    ).toEqual([
      [0, 'a', 'first', undefined],
      [1, 'b', 'second', { h: '1' }],
      [2, 'c', `third${long}`, undefined],
      [3, 'd', `fourth${long}`, undefined],
      [4, 'e', 'fifth', undefined],
    ]);
    await log.close();
  });

  it('Given one publish of many records, When a group consumes it in small batches across a restart, Then it resumes inside the stored batch without loss or duplicate', async () => {
    const dir = tempDir();
    let log = await open(dir);
    await log.ensureTopics([{ name: 'big', partitions: 1 }]);
    // ~200 KiB in one call: several stored batches, each cut at its size limit.
    const values = Array.from({ length: 2000 }, (_, i) => `record ${i} ${'x'.repeat(i % 200)}`);
    await log.publish(
      'big',
      values.map((v) => ({ key: 'k', value: Buffer.from(v) })),
    );
    const seen: string[] = [];
    const consume = (limit: number) => {
      const consumer = log.consume(
        'resuming',
        'big',
        async (batch) => {
          for (const r of batch) seen.push(Buffer.from(r.value).toString());
        },
        { maxBatch: 7 },
      );
      return waitFor(() => seen.length >= limit, `${limit} records`).then(() => consumer.stop());
    };
    await consume(993);
    await log.close();
    log = await open(dir);
    await consume(values.length);
    expect(seen).toEqual(values);
    await log.close();
  });

  it('Given 20,000 findings-sized records, When stored, Then the segment files hold them once and the LMDB index stays small', async () => {
    const dir = tempDir();
    const log = await open(dir);
    await log.ensureTopics([{ name: 'findings', partitions: 12 }]);
    let raw = 0;
    for (let batch = 0; batch < 100; batch++) {
      const records = Array.from({ length: 200 }, (_, i) => {
        const n = batch * 200 + i;
        const key = `tenant-a|10.0.${n % 250}.${n % 97}`;
        const value = Buffer.from(
          `tenant-a|import-0001|10.0.${n % 250}.${n % 97}|qualys:${38000 + (n % 3000)}|443|tcp host${n % 400}.corp.example.com Windows Server 2019 results: port ${n % 1000} open, version ${n % 17}.${n % 5}`,
        );
        raw += key.length + value.length;
        return { key, value };
      });
      await log.publish('findings', records);
    }
    await log.close();
    const segmentBytes = statSync(join(dir, 'segments', '00000000.log')).size;
    // Each record once, with 12 bytes of frame (lengths), and 5 per stored batch.
    expect(segmentBytes).toBeGreaterThanOrEqual(raw);
    expect(segmentBytes).toBeLessThan(raw + 20_000 * 12 + 1200 * 5);
    expect(statSync(join(dir, 'data.mdb')).size).toBeLessThan(raw / 4); // its minimum, 32 pages of 16 KiB
  });

  it('Given segment files of 64 KiB, When 1 MiB of records is published across a restart, Then appends move on to new files and every record reads back in order', async () => {
    const dir = tempDir();
    const openSmall = () => openLmdbEventLog({ path: dir, pollIntervalMs: 20, segmentBytes: 64 << 10 });
    let log = await openSmall();
    await log.ensureTopics([{ name: 'rolling', partitions: 3 }]);
    const value = (i: number) => Buffer.from(`${i}:${'v'.repeat(1000)}`);
    const publishRange = async (from: number, to: number) => {
      for (let i = from; i < to; i += 50) {
        await log.publish(
          'rolling',
          Array.from({ length: 50 }, (_, j) => ({ key: `k${(i + j) % 7}`, value: value(i + j) })),
        );
      }
    };
    await publishRange(0, 500);
    await log.close();
    log = await openSmall();
    await publishRange(500, 1000);
    const all = await readAll(log, 'rolling');
    await log.close();
    expect(all.size).toBe(1000);
    const files = readdirSync(join(dir, 'segments'));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const file of files)
      expect(statSync(join(dir, 'segments', file)).size).toBeLessThanOrEqual(64 << 10);
    for (let p = 0; p < 3; p++) {
      const values = [...all.values()]
        .filter((r) => r.partition === p)
        .sort((a, b) => a.offset - b.offset)
        .map((r) => Number(Buffer.from(r.value).toString().split(':')[0]));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('Given the newest bytes of a segment lost in a power cut, When the log is reopened, Then the records past the last intact batch are dropped, offsets rewound, and appends go on', async () => {
    const dir = tempDir();
    let log = await open(dir);
    await log.ensureTopics([{ name: 't', partitions: 2 }]);
    for (let i = 0; i < 10; i++) {
      await log.publish('t', [
        { key: 'a', value: Buffer.from(`a${i}`) },
        { key: 'b', value: Buffer.from(`b${i}`) },
      ]);
    }
    const consumer = log.consume('g', 't', async () => {});
    await waitFor(async () => (await consumer.lag()) === 0, 'the group to commit all');
    await consumer.stop();
    await log.close();
    // The last two publishes (4 stored batches) never reached the disk: cut the file and corrupt one more.
    const segment = join(dir, 'segments', '00000000.log');
    const batchBytes = statSync(segment).size / 20;
    truncateSync(segment, batchBytes * 17);
    const bytes = readFileSync(segment);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2);
    writeFileSync(segment, bytes);

    log = await open(dir);
    const pa = partitionFor('a', 2);
    const left = await readAll(log, 't');
    expect([...left.values()].map((r) => Buffer.from(r.value).toString()).sort()).toEqual(
      [
        ...Array.from({ length: 8 }, (_, i) => `a${i}`),
        ...Array.from({ length: 8 }, (_, i) => `b${i}`),
      ].sort(),
    );
    await log.publish('t', [{ key: 'a', value: Buffer.from('after') }]);
    const resumed: string[] = [];
    const again = log.consume('g', 't', async (batch) => {
      for (const r of batch) resumed.push(`${r.partition}:${r.offset}:${Buffer.from(r.value).toString()}`);
    });
    await waitFor(() => resumed.length === 1, 'the record appended after recovery');
    await again.stop();
    expect(resumed).toEqual([`${pa}:8:after`]);
    await log.close();
  });

  it('Given records in several partitions and a linger, When they arrive in small appends, Then the handler gets them together in one batch, each partition in offset order', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 'lingering', partitions: 4 }]);
    const batches: StoredRecord[][] = [];
    const consumer = log.consume('g', 'lingering', async (records) => void batches.push([...records]), {
      maxBatch: 1000,
      lingerMs: 400,
    });
    for (let round = 0; round < 5; round++) {
      await log.publish(
        'lingering',
        Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`${round}:${i}`) })),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => batches.flat().length === 40, 'all 40 records');
    await consumer.stop();
    expect(batches).toHaveLength(1);
    const [batch] = batches as [StoredRecord[]];
    expect(new Set(batch.map((r) => r.partition)).size).toBeGreaterThan(1);
    for (const p of new Set(batch.map((r) => r.partition))) {
      const offsets = batch.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets[0]).toBe(0);
    }
    await log.close();
  });

  it('Given a linger, When the producer goes quiet, Then the records are handed over well before the linger ends', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 'quiet', partitions: 2 }]);
    const consumer = log.consume('g', 'quiet', async () => {}, { maxBatch: 1000, lingerMs: 5000 });
    // The consumer is idle-waiting: the append wakes it and it starts lingering.
    await new Promise((r) => setTimeout(r, 100));
    const published = performance.now();
    await log.publish('quiet', [{ key: 'k', value: Buffer.from('last of an import') }]);
    await waitFor(async () => (await consumer.lag()) === 0, 'the record handed over');
    const handedAfterMs = performance.now() - published;
    await consumer.stop();
    // A look 100 ms later (lingerMs / 5, at most 100 ms) saw no more records: not the whole 5 s.
    expect(handedAfterMs).toBeLessThan(1500);
    await log.close();
  });

  it('Given a linger kept going by a producer, When flush() is called, Then what waits is handed over at once', async () => {
    const log = await open(tempDir());
    await log.ensureTopics([{ name: 'flushed', partitions: 2 }]);
    const handedAt: number[] = [];
    const consumer = log.consume('g', 'flushed', async () => void handedAt.push(performance.now()), {
      maxBatch: 1000,
      lingerMs: 5000,
    });
    // A record every 20 ms: every look sees more, so without flush() the linger would last 5 s.
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        await log.publish('flushed', [{ key: `k${i}`, value: Buffer.from(String(i)) }]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    expect(handedAt).toEqual([]); // still lingering
    const flushedAt = performance.now();
    consumer.flush();
    await waitFor(() => handedAt.length > 0, 'the batch handed over after flush()');
    producing = false;
    await producer;
    await consumer.stop();
    expect((handedAt[0] as number) - flushedAt).toBeLessThan(1000);
    await log.close();
  });

  it('Given a consumer that polls rarely, When another thread of the process publishes, Then the consumer is woken at once', async () => {
    const dir = tempDir();
    const log = await openLmdbEventLog({ path: dir, pollIntervalMs: 60_000 });
    await log.ensureTopics([{ name: 'threads', partitions: 1 }]);
    const seen: string[] = [];
    const consumer = log.consume('g', 'threads', async (records) => {
      for (const r of records) seen.push(Buffer.from(r.value).toString());
    });
    await new Promise((r) => setTimeout(r, 100)); // idle: waiting for an append or its next poll, in 60 s
    const worker = new Worker(new URL('./thread-publisher.mjs', import.meta.url), {
      workerData: { path: dir, topic: 'threads' },
    });
    await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
    await waitFor(() => seen.length === 1, 'the record from the other thread', 10_000);
    expect(seen).toEqual(['from another thread']);
    await consumer.stop();
    await log.close();
  });
});
