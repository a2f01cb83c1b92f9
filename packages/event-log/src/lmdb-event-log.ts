/**
 * Embedded adapter of the event-log port on LMDB (lmdb-js).
 *
 * Layout: a directory with an LMDB environment of three named sub-databases, and `segments/`:
 * - `records`: key [topic, partition, first offset] (ordered-binary) -> where a batch of consecutive
 *   records of that partition (see BatchEncoder) sits in the segment files (FRAME_SEGMENT: file, offset,
 *   length, CRC-32). Environments written before segments hold the batches themselves, LZ4-compressed by
 *   lmdb-js (FRAME_BATCH), or one record per key (FRAME_V1); both still read as they are;
 * - `meta`:    ['topic', name] -> partition count, ['hwm', topic, partition] -> next offset (high watermark),
 *              ['segment'] and ['segment-end'] -> the segment file appended to and where its data ends;
 * - `offsets`: [group, topic, partition] -> next offset to consume (committed offset).
 *
 * Why segment files (ADR 0002): the records read back through LMDB's memory map stayed in the server's
 * RSS, ~65 MB per GiB of report, so the peak memory of an import grew with the report. Read with pread,
 * the same bytes live in the kernel's page cache. They are stored uncompressed: lmdb-js's LZ4 ran inside
 * the publishing thread's transaction (~0.6 s per GiB of report), and disk is cheaper than that.
 *
 * Durability: a publish is one write transaction that reads the high watermarks, writes its batches to
 * the segment file, indexes them and bumps the watermarks; it resolves only after both the commit and the
 * segment's bytes are flushed (fsync) to disk. A power cut between the two may leave index entries whose
 * bytes never reached the disk: they were never acknowledged, and opening the log drops them (their CRC
 * does not match). lmdb-js enables
 * `overlappingSync` by default on Linux/macOS, where the write promise resolves when the commit is *visible*
 * and the fsync completes a little later, so every write here also awaits the root's `flushed` promise.
 * noSync / noMetaSync are never enabled. Committed consumer offsets are made durable the same way.
 *
 * Several processes may open the same directory (LMDB serialises writers with its lock file): offsets are
 * assigned inside the write transaction, so they stay dense across processes, and consumers poll every
 * `pollIntervalMs` to see other processes' appends. Publishes in this process (any thread) wake its
 * consumers at once.
 *
 * Limitation: one consumer per (group, topic) at a time. Two consumers of the same group (in one process
 * or in several) would both read from the committed offset and deliver the same records twice; there is no
 * group membership / partition assignment in the embedded adapter.
 */
import { Buffer } from 'node:buffer';
import { join, resolve as resolvePath } from 'node:path';
import { crc32 } from 'node:zlib';
import { type Database, open, type RootDatabase } from 'lmdb';
import {
  type BatchHandler,
  type Consumer,
  type EventLog,
  type LogRecord,
  partitionFor,
  type StoredRecord,
  type TopicSpec,
  withLifecycle,
} from './event-log.ts';
import { SEGMENT_BYTES, SegmentFiles } from './segment-files.ts';

export interface LmdbEventLogOptions {
  /** Directory of the LMDB environment (created if missing). */
  readonly path: string;
  /** How often an idle consumer looks for appends made by other processes. Default 50 ms. */
  readonly pollIntervalMs?: number;
  /** Delay before a batch whose handler threw is delivered again. Default 1000 ms. */
  readonly retryDelayMs?: number;
  /** A segment file takes no more appends once it holds this many bytes. Default 1 GiB. */
  readonly segmentBytes?: number;
}

type RecordKey = [string, number, number];
type MetaKey = ['topic', string] | ['hwm', string, number] | ['segment'] | ['segment-end'];
type OffsetKey = [string, string, number];

const DEFAULT_POLL_MS = 50;
const DEFAULT_RETRY_MS = 1000;
/**
 * First byte of every `records` value: a batch's place in the segment files, or (environments written
 * before segments) the batch itself, or (before batches) one record.
 */
const FRAME_V1 = 1;
const FRAME_BATCH = 2;
const FRAME_SEGMENT = 3;
/** A stored batch is cut after this many bytes. */
const BATCH_BYTES = 32 * 1024;
const MAX_SAFE_OFFSET = Number.MAX_SAFE_INTEGER;
/** A lingering consumer looks for more records every fifth of its linger, and at least this often. */
const LINGER_LOOK_MAX_MS = 100;

export async function openLmdbEventLog(options: LmdbEventLogOptions): Promise<EventLog> {
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_MS;
  const segmentBytes = options.segmentBytes ?? SEGMENT_BYTES;
  const root: RootDatabase = open({
    path: options.path,
    maxDbs: 8,
    // 16 KB pages (new environments only): 1–3 KB records stay inline in leaf pages instead of taking
    // overflow pages, and appends touch fewer pages; measured ~1.5x the publish rate of 4 KB pages.
    pageSize: 16_384,
    // Explicitly durable: every commit is fsynced (see the module comment about overlappingSync).
    noSync: false,
    noMetaSync: false,
  });
  const records: Database<Uint8Array, RecordKey> = root.openDB({
    name: 'records',
    encoding: 'binary',
    keyEncoding: 'ordered-binary',
    // Batches stored here before segment files are LZ4-compressed; index entries are too short to be.
    compression: true,
  });
  const meta: Database<number, MetaKey> = root.openDB({
    name: 'meta',
    encoding: 'ordered-binary',
    keyEncoding: 'ordered-binary',
  });
  const offsets: Database<number, OffsetKey> = root.openDB({
    name: 'offsets',
    encoding: 'ordered-binary',
    keyEncoding: 'ordered-binary',
  });

  /** In-process wake-ups: consumers waiting for appends to a topic. */
  const waiters = new Map<string, Set<() => void>>();
  // Appends by another thread of this process (an import worker's) wake this one's consumers at once,
  // not at their next poll: an import's closing events were seen ~50 ms late.
  const appends = new BroadcastChannel(`q2h-event-log:${resolvePath(options.path)}`);
  appends.unref();
  appends.onmessage = (message) => notify((message as { data: string }).data);
  const batches = new BatchEncoder();
  const segments = new SegmentFiles(join(options.path, 'segments'));
  const segmentRef = Buffer.alloc(17);

  /** Awaits a write's commit and then its fsync (and that of the segment bytes it wrote). */
  async function durable<T>(write: Promise<T>, wroteSegments = false): Promise<T> {
    const result = await write;
    await Promise.all([root.flushed, wroteSegments ? segments.sync() : undefined]);
    return result;
  }

  /** The bytes of the batch a `records` value stands for. */
  function storedBatch(value: Uint8Array): Uint8Array {
    if (value[0] !== FRAME_SEGMENT) return value;
    const { segment, position, length } = segmentRefOf(value);
    return segments.read(segment, position, length);
  }

  function partitionsOf(topic: string): number | undefined {
    return meta.get(['topic', topic]);
  }

  function notify(topic: string): void {
    const set = waiters.get(topic);
    if (!set) return;
    waiters.delete(topic);
    for (const wake of set) wake();
  }

  function waitForAppend(topic: string, ms: number, signal: { wake?: () => void }): Promise<void> {
    return new Promise((resolve) => {
      let set = waiters.get(topic);
      if (!set) {
        set = new Set();
        waiters.set(topic, set);
      }
      const wake = () => {
        clearTimeout(timer);
        const current = waiters.get(topic);
        current?.delete(wake);
        if (current?.size === 0) waiters.delete(topic);
        signal.wake = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
      signal.wake = wake;
    });
  }

  function readBatch(topic: string, partition: number, from: number, max: number): StoredRecord[] {
    const end = Math.min(from + max, MAX_SAFE_OFFSET);
    // The stored batch holding `from` is the last one starting at or before it.
    let first = from;
    for (const key of records.getKeys({
      start: [topic, partition, from],
      end: [topic, partition, -1],
      reverse: true,
      limit: 1,
    })) {
      first = key[2];
    }
    const batch: StoredRecord[] = [];
    for (const { key, value } of records.getRange({
      start: [topic, partition, first],
      end: [topic, partition, end],
    })) {
      decodeBatch(topic, partition, key[2], storedBatch(value), (record) => {
        if (record.offset >= from && record.offset < end) batch.push(record);
      });
    }
    return batch;
  }

  class LmdbConsumer implements Consumer {
    private stopped = false;
    private nextPartition = 0;
    private readonly signal: { wake?: () => void } = {};
    private readonly loop: Promise<void>;

    constructor(
      private readonly group: string,
      private readonly topic: string,
      private readonly handle: BatchHandler,
      private readonly maxBatch: number,
      private readonly lingerMs: number,
    ) {
      this.loop = this.run();
    }

    async stop(): Promise<void> {
      this.stopped = true;
      this.signal.wake?.();
      await this.loop;
    }

    async lag(): Promise<number> {
      return this.uncommitted(partitionsOf(this.topic) ?? 0);
    }

    flush(): void {
      // Nothing waiting: the flag would only cut the next producer's first linger short.
      if (this.uncommitted(partitionsOf(this.topic) ?? 0) === 0) return;
      this.flushed = true;
      // A consumer that is lingering is in the wait between two looks: cut it short.
      if (this.lingeringSince !== 0) this.signal.wake?.();
    }

    /** Records appended to the topic's partitions and not yet committed by this group. */
    private uncommitted(partitions: number): number {
      let waiting = 0;
      for (let p = 0; p < partitions; p++) {
        waiting += (meta.get(['hwm', this.topic, p]) ?? 0) - (offsets.get([this.group, this.topic, p]) ?? 0);
      }
      return waiting;
    }

    private sleep(ms: number): Promise<void> {
      return waitForAppend(this.topic, ms, this.signal);
    }

    private async run(): Promise<void> {
      // Let the caller get the Consumer back before the first handler call.
      await Promise.resolve();
      while (!this.stopped) {
        const partitions = partitionsOf(this.topic);
        if (partitions === undefined) {
          await this.sleep(pollIntervalMs);
          continue;
        }
        let progressed: boolean;
        try {
          progressed = await this.consumeBatch(partitions);
        } catch (error) {
          // Reading or committing failed (not the handler): nothing was committed, try again later.
          console.error(`event-log: consumer of group ${this.group} failed on ${this.topic}`, error);
          progressed = true;
          await this.sleepUninterruptedByAppends(retryDelayMs);
        }
        if (!progressed && !this.stopped) await this.sleep(pollIntervalMs);
      }
    }

    /** When the records now waiting were first seen short of a full batch (0: not lingering). */
    private lingeringSince = 0;
    /** How many records waited at the last look while lingering. */
    private lingeredOn = 0;
    /** flush() was called: the next look hands over what waits. */
    private flushed = false;

    /**
     * Whether to wait for more records: fewer than maxBatch wait, lingerMs has not passed since that was
     * first seen, and more arrived since the last look (see LINGER_LOOK_MAX_MS). A producer that went
     * quiet (an import's last findings) is not waited for: that wait was ~0.2 s of every import's end.
     * One that said it is done (flush) is not looked at again: that look was ~0.1 s of it.
     */
    private shouldLinger(partitions: number): boolean {
      const flushed = this.flushed;
      this.flushed = false;
      if (this.lingerMs <= 0 || flushed) {
        this.lingeringSince = 0;
        return false;
      }
      const waiting = this.uncommitted(partitions);
      const now = Date.now();
      if (waiting > 0 && waiting < this.maxBatch) {
        const first = this.lingeringSince === 0;
        if (first) this.lingeringSince = now;
        const growing = first || waiting > this.lingeredOn;
        this.lingeredOn = waiting;
        if (growing && now - this.lingeringSince < this.lingerMs) return true;
      }
      this.lingeringSince = 0;
      return false;
    }

    /**
     * Handles and commits one batch gathered across the partitions (up to maxBatch records, each
     * partition's in offset order, starting from the next partition each time so none starves); false
     * when there was nothing to read. One handler call for all partitions gives the projector inserts of
     * thousands of rows instead of one small insert per partition, which ClickHouse pays for in merges.
     */
    private async consumeBatch(partitions: number): Promise<boolean> {
      if (this.shouldLinger(partitions)) {
        const left = this.lingerMs - (Date.now() - this.lingeringSince);
        await this.sleepUninterruptedByAppends(
          Math.max(1, Math.min(left, this.lingerMs / 5, LINGER_LOOK_MAX_MS)),
        );
        return true;
      }
      const batch: StoredRecord[] = [];
      const ends = new Map<number, number>();
      const first = this.nextPartition % partitions;
      this.nextPartition = first + 1;
      for (let i = 0; i < partitions && batch.length < this.maxBatch; i++) {
        const p = (first + i) % partitions;
        const committed = offsets.get([this.group, this.topic, p]) ?? 0;
        const records = readBatch(this.topic, p, committed, this.maxBatch - batch.length);
        const last = records.at(-1);
        if (!last) continue;
        for (const record of records) batch.push(record);
        ends.set(p, last.offset + 1);
      }
      if (batch.length === 0) return false;
      for (;;) {
        try {
          await this.handle(batch);
          break;
        } catch (error) {
          const ranges = [...ends].map(([p, end]) => `[${p}] ..${end - 1}`).join(', ');
          console.error(
            `event-log: handler of group ${this.group} failed on ${this.topic} ${ranges}, redelivering`,
            error,
          );
          // Stopping while retrying leaves the batch uncommitted: it is redelivered to the next consumer.
          if (this.stopped) return true;
          await this.sleepUninterruptedByAppends(retryDelayMs);
          if (this.stopped) return true;
        }
      }
      await durable(
        root.childTransaction(() => {
          for (const [p, end] of ends) offsets.put([this.group, this.topic, p], end);
        }),
      );
      return true;
    }

    /** A wait that appends do not cut short (only stop() does): a retry delay, a look while lingering. */
    private sleepUninterruptedByAppends(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.signal.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        this.signal.wake = done;
      });
    }
  }

  /**
   * Not async: the batch (its records and whatever they hold) is released once the write transaction
   * copied it, not only when the commit is on disk: an async function's frame keeps its arguments alive
   * across awaits, and the publisher would keep every batch in flight reachable for its fsync.
   */
  function publishNow(topic: string, batch: readonly LogRecord[]): Promise<void> {
    const partitions = partitionsOf(topic);
    if (partitions === undefined) return Promise.reject(new Error(`event-log: unknown topic ${topic}`));
    let headers: (string | undefined)[];
    try {
      headers = headerJsonOf(batch);
    } catch (error) {
      return Promise.reject(error);
    }
    // Group by partition (record indexes), keeping each partition's records in call order.
    const byPartition = new Map<number, number[]>();
    for (let i = 0; i < batch.length; i++) {
      const p = partitionFor(batch[i]!.key, partitions);
      let list = byPartition.get(p);
      if (!list) {
        list = [];
        byPartition.set(p, list);
      }
      list.push(i);
    }
    const order = [...byPartition.keys()].sort((x, y) => x - y);
    let pending: readonly LogRecord[] | undefined = batch;
    return durable(
      // A child transaction so that a failure half-way leaves nothing behind (lmdb-js commits the
      // writes of a plain transaction callback even when it throws).
      root.childTransaction(() => {
        const published = pending!;
        pending = undefined;
        let segment = meta.get(['segment']) ?? 0;
        let end = meta.get(['segment-end']) ?? 0;
        for (const p of order) {
          let next = meta.get(['hwm', topic, p]) ?? 0;
          const indexes = byPartition.get(p)!;
          for (let from = 0; from < indexes.length; ) {
            const to = batches.fill(published, headers, indexes, from);
            const bytes = batches.encoded();
            if (end > 0 && end + bytes.length > segmentBytes) {
              segment++;
              end = 0;
            }
            segments.write(segment, end, bytes);
            writeSegmentRef(segmentRef, { segment, position: end, length: bytes.length, crc: crc32(bytes) });
            // put() copies the bytes into the write transaction at once, so one scratch buffer serves all.
            records.put([topic, p, next], segmentRef);
            end += bytes.length;
            next += to - from;
            from = to;
          }
          meta.put(['hwm', topic, p], next);
        }
        meta.put(['segment'], segment);
        meta.put(['segment-end'], end);
      }),
      true,
    ).then(() => {
      notify(topic);
      appends.postMessage(topic);
    });
  }

  async function ensureTopicsNow(topics: readonly TopicSpec[]): Promise<void> {
    for (const t of topics) {
      if (!Number.isInteger(t.partitions) || t.partitions < 1) {
        throw new Error(`event-log: topic ${t.name} needs a positive integer partition count`);
      }
    }
    await durable(
      root.childTransaction(() => {
        for (const t of topics) {
          const existing = meta.get(['topic', t.name]);
          if (existing === undefined) meta.put(['topic', t.name], t.partitions);
          else if (existing !== t.partitions) {
            throw new Error(
              `event-log: topic ${t.name} exists with ${existing} partitions, not ${t.partitions}`,
            );
          }
        }
      }),
    );
  }

  /** Whether the segment bytes an index entry points at are there, whole. */
  function intact(value: Uint8Array): boolean {
    const { segment, position, length, crc } = segmentRefOf(value);
    if (position + length > segments.size(segment)) return false;
    return crc32(segments.read(segment, position, length)) === crc;
  }

  /**
   * After a power cut, the newest index entries of a partition may point at segment bytes that never
   * reached the disk (see Durability): they are dropped, with the high watermark and any committed
   * offset past them, so that appends go on from the last intact record.
   */
  async function dropTornTails(): Promise<void> {
    // Listed first: the loop below writes, and an LMDB range read must not span those writes.
    const partitions = [...meta.getKeys({})].filter(
      (key): key is ['hwm', string, number] => key[0] === 'hwm',
    );
    for (const [, topic, partition] of partitions) {
      const torn: RecordKey[] = [];
      for (const entry of records.getRange({
        start: [topic, partition, MAX_SAFE_OFFSET],
        end: [topic, partition, -1],
        reverse: true,
      })) {
        if (entry.value[0] !== FRAME_SEGMENT || intact(entry.value)) break;
        torn.push(entry.key);
      }
      const from = torn.at(-1)?.[2];
      if (from === undefined) continue;
      console.warn(
        `event-log: ${topic}[${partition}] lost its records from offset ${from} (not on disk after a crash); dropped`,
      );
      await durable(
        root.childTransaction(() => {
          for (const k of torn) records.remove(k);
          meta.put(['hwm', topic, partition], from);
          for (const { key: o, value } of offsets.getRange({})) {
            if (o[1] === topic && o[2] === partition && value > from) offsets.put(o, from);
          }
        }),
      );
    }
  }
  await dropTornTails();

  return withLifecycle({
    ensureTopics: ensureTopicsNow,
    publish: publishNow,
    consume: (group, topic, handle, options) =>
      new LmdbConsumer(group, topic, handle, options.maxBatch, options.lingerMs),
    async close() {
      appends.close();
      await root.close();
      await segments.close();
    },
  });
}

const utf8Decoder = new TextDecoder();

/** Where a batch sits in the segment files: a `records` value, u8 FRAME_SEGMENT | 4 × u32 (17 bytes). */
interface SegmentRef {
  segment: number;
  position: number;
  length: number;
  crc: number;
}

function writeSegmentRef(into: Buffer, ref: SegmentRef): void {
  into[0] = FRAME_SEGMENT;
  into.writeUInt32BE(ref.segment, 1);
  into.writeUInt32BE(ref.position, 5);
  into.writeUInt32BE(ref.length, 9);
  into.writeUInt32BE(ref.crc, 13);
}

function segmentRefOf(value: Uint8Array): SegmentRef {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return {
    segment: view.getUint32(1),
    position: view.getUint32(5),
    length: view.getUint32(9),
    crc: view.getUint32(13),
  };
}

/** Validates a batch and stringifies its headers (once per distinct headers object). */
function headerJsonOf(batch: readonly LogRecord[]): (string | undefined)[] {
  const json: (string | undefined)[] = new Array(batch.length);
  let lastHeaders: LogRecord['headers'];
  let lastJson: string | undefined;
  for (let i = 0; i < batch.length; i++) {
    const r = batch[i]!;
    if (typeof r.key !== 'string') throw new TypeError('event-log: record key must be a string');
    if (!(r.value instanceof Uint8Array)) throw new TypeError('event-log: record value must be a Uint8Array');
    if (r.headers) {
      if (r.headers !== lastHeaders) {
        lastHeaders = r.headers;
        lastJson = JSON.stringify(r.headers);
      }
      json[i] = lastJson;
    }
  }
  return json;
}

/**
 * Frame of one record: u32 key length | key (UTF-8) | u32 headers length | headers (UTF-8 JSON object,
 * absent when length 0) | value bytes (the rest).
 * A stored batch: u8 FRAME_BATCH | u32 count | count × (u32 frame length | frame). Before batches, a value
 * was u8 FRAME_V1 | one frame. Batches are written into one reused scratch buffer (no allocation, no page
 * faults per record) and cut at BATCH_BYTES, which keeps compressed values within a few pages.
 */
class BatchEncoder {
  private scratch = Buffer.allocUnsafeSlow(BATCH_BYTES * 2);
  private length = 0;

  /** Encodes records indexes[from…] of `batch`, up to BATCH_BYTES; returns the index after the last. */
  fill(
    batch: readonly LogRecord[],
    headers: readonly (string | undefined)[],
    indexes: readonly number[],
    from: number,
  ): number {
    this.scratch[0] = FRAME_BATCH;
    let pos = 5;
    let at = from;
    while (at < indexes.length && (at === from || pos < BATCH_BYTES)) {
      const i = indexes[at]!;
      pos = this.frame(batch[i]!, headers[i], pos);
      at++;
    }
    this.scratch.writeUInt32BE(at - from, 1);
    this.length = pos;
    return at;
  }

  /** The batch last filled, valid until the next call. */
  encoded(): Buffer {
    return this.scratch.subarray(0, this.length);
  }

  private frame(record: LogRecord, headersJson: string | undefined, start: number): number {
    const max = start + 12 + record.key.length * 3 + (headersJson?.length ?? 0) * 3 + record.value.length;
    if (max > this.scratch.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(max, this.scratch.length * 2));
      this.scratch.copy(grown, 0, 0, start);
      this.scratch = grown;
    }
    const buffer = this.scratch;
    let pos = start + 4;
    const keyLength = buffer.write(record.key, pos + 4, 'utf8');
    buffer.writeUInt32BE(keyLength, pos);
    pos += 4 + keyLength;
    const headersLength = headersJson ? buffer.write(headersJson, pos + 4, 'utf8') : 0;
    buffer.writeUInt32BE(headersLength, pos);
    pos += 4 + headersLength;
    buffer.set(record.value, pos);
    pos += record.value.length;
    buffer.writeUInt32BE(pos - start - 4, start);
    return pos;
  }
}

/** Hands out the records of one stored value, a batch (or, written before batches, a single record). */
function decodeBatch(
  topic: string,
  partition: number,
  firstOffset: number,
  stored: Uint8Array,
  onRecord: (record: StoredRecord) => void,
): void {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
  if (stored[0] === FRAME_V1) {
    onRecord(decodeFrame(topic, partition, firstOffset, stored.subarray(1), view, 1));
    return;
  }
  if (stored[0] !== FRAME_BATCH) {
    throw new Error(
      `event-log: unknown record frame version ${stored[0]} at ${topic}[${partition}]@${firstOffset}`,
    );
  }
  const count = view.getUint32(1);
  let pos = 5;
  for (let n = 0; n < count; n++) {
    const length = view.getUint32(pos);
    pos += 4;
    onRecord(decodeFrame(topic, partition, firstOffset + n, stored.subarray(pos, pos + length), view, pos));
    pos += length;
  }
}

/** One frame; `view` is the stored value's, `at` where the frame starts in it. */
function decodeFrame(
  topic: string,
  partition: number,
  offset: number,
  frame: Uint8Array,
  view: DataView,
  at: number,
): StoredRecord {
  const keyLength = view.getUint32(at);
  let pos = 4;
  const key = utf8Decoder.decode(frame.subarray(pos, pos + keyLength));
  pos += keyLength;
  const headersLength = view.getUint32(at + pos);
  pos += 4;
  // With encoding 'binary', lmdb-js hands out a fresh copy of each value (never its reused scratch buffer
  // or the read-only map), so a plain Uint8Array view of the frame is safe and saves a second copy.
  const value = frame.subarray(pos + headersLength);
  if (headersLength === 0) return { topic, partition, offset, key, value };
  const headers = JSON.parse(utf8Decoder.decode(frame.subarray(pos, pos + headersLength))) as Record<
    string,
    string
  >;
  return { topic, partition, offset, key, value, headers };
}
