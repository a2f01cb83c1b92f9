/**
 * Distributed adapter of the event-log port on Apache Kafka, through kafkajs (pure JS; ADR 0006).
 *
 * - Partitions: publish passes an explicit partition for every record, `partitionFor(key, n)` (FNV-1a), the
 *   mapping of the embedded adapter, so a key lands in the same partition number on both transports
 *   (kafkajs' default murmur2 partitioner is not used). The partition count of a topic is read once from
 *   the cluster's metadata and cached for the life of the log.
 * - Durability: one idempotent producer per log (acks=all, one request in flight per broker, so retries
 *   never reorder nor duplicate a partition's records); publish resolves when Kafka acknowledged every record.
 * - Consumers: one kafkajs consumer (group member) per `consume` call, auto-commit off and auto-resolve off.
 *   A fetched batch is cut into chunks of at most `maxBatch` records; after the handler resolved for a chunk,
 *   its offset is committed (OffsetCommit, awaited) and only then resolved locally. A handler that throws gets
 *   the same chunk again after `retryDelayMs` (heartbeats continue meanwhile); stop() or a rebalance while
 *   retrying leaves it uncommitted, so the partition's next owner receives it again (at-least-once).
 * - Lag: the topic's high watermarks minus the group's committed offsets (the low watermark where the group
 *   has committed nothing yet, as it then starts from the beginning), summed over partitions.
 * - Topics are created with `retention.ms=-1` unless configured otherwise: the read models are projections
 *   rebuilt from offset 0, so the log keeps everything.
 */
import { Buffer } from 'node:buffer';
import {
  type Admin,
  type EachBatchPayload,
  Kafka,
  type KafkaConfig,
  type Consumer as KafkaConsumer,
  logLevel as KafkaLogLevel,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
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

export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Topic-level configs for topics that ensureTopics creates. Default `{ 'retention.ms': '-1' }` (keep all). */
  readonly topicConfig?: Readonly<Record<string, string>>;
  /** Replication factor of created topics. Default -1: the broker's `default.replication.factor`. */
  readonly replicationFactor?: number;
  /** Delay before a batch whose handler threw is delivered again. Default 1000 ms. */
  readonly retryDelayMs?: number;
  /** Consumer group session timeout. Default 30 000 ms (the broker bounds it: group.min/max.session.timeout.ms). */
  readonly sessionTimeoutMs?: number;
  /** Consumer heartbeat interval. Default 3000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits on the broker for new records; also bounds how long stop() waits for it. Default 1000 ms. */
  readonly maxWaitTimeMs?: number;
  /** kafkajs log level. Default WARN. */
  readonly logLevel?: KafkaLogLevel;
  /** Passed to kafkajs as is (TLS, SASL, timeouts...). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'>;
}

const DEFAULT_RETRY_MS = 1000;
const DEFAULT_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'retention.ms': '-1' };
const utf8 = new TextDecoder();

export async function openKafkaEventLog(options: KafkaEventLogOptions): Promise<EventLog> {
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_MS;
  const topicConfig = options.topicConfig ?? DEFAULT_TOPIC_CONFIG;
  const kafka = new Kafka({
    // kafkajs' default retry gives up after ~10 s; a broker restart takes longer: ~2 min here.
    retry: { retries: 10, maxRetryTime: 30_000 },
    ...options.kafka,
    brokers: [...options.brokers],
    clientId: options.clientId,
    logLevel: options.logLevel ?? KafkaLogLevel.WARN,
  });
  const admin: Admin = kafka.admin({ retry: { retries: 3 } });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Every message carries its partition; this partitioner (same mapping) only silences kafkajs' warning.
    createPartitioner:
      () =>
      ({ message, partitionMetadata }) =>
        partitionFor(message.key?.toString() ?? '', partitionMetadata.length),
  });
  await admin.connect();
  try {
    await producer.connect();
  } catch (error) {
    await admin.disconnect();
    throw error;
  }

  const partitionCounts = new Map<string, number>();

  async function partitionsOf(topic: string): Promise<number> {
    const known = partitionCounts.get(topic);
    if (known !== undefined) return known;
    let count: number | undefined;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      count = topics.find((t) => t.name === topic)?.partitions.length;
    } catch (error) {
      const type = (error as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
    }
    if (!count) throw new Error(`event-log: unknown topic ${topic}`);
    partitionCounts.set(topic, count);
    return count;
  }

  async function ensureTopicsNow(topics: readonly TopicSpec[]): Promise<void> {
    for (const t of topics) {
      if (!Number.isInteger(t.partitions) || t.partitions < 1) {
        throw new Error(`event-log: topic ${t.name} needs a positive integer partition count`);
      }
    }
    if (topics.length === 0) return;
    // Create only what is missing (kafkajs logs an already existing topic as an error); a topic created
    // concurrently by another process in between is fine: createTopics then just reports it existed.
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: Object.entries(topicConfig).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    // The partitions' leaders must be serving (metadata may name a leader a moment before it serves):
    // afterwards publish, consume and lag() work at once.
    for (const t of missing) await whileLeadershipMoves(() => admin.fetchTopicOffsets(t.name));
    const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
    for (const t of topics) {
      const count = described.find((d) => d.name === t.name)?.partitions.length;
      if (count !== t.partitions) {
        throw new Error(`event-log: topic ${t.name} exists with ${count} partitions, not ${t.partitions}`);
      }
      partitionCounts.set(t.name, count);
    }
  }

  async function publishNow(topic: string, batch: readonly LogRecord[]): Promise<void> {
    const partitions = await partitionsOf(topic);
    const messages = batch.map((r) => {
      if (typeof r.key !== 'string') throw new TypeError('event-log: record key must be a string');
      if (!(r.value instanceof Uint8Array))
        throw new TypeError('event-log: record value must be a Uint8Array');
      return {
        key: r.key,
        value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
        partition: partitionFor(r.key, partitions),
        ...(r.headers ? { headers: { ...r.headers } } : {}),
      };
    });
    await producer.send({ topic, acks: -1, messages });
  }

  async function lagOf(group: string, topic: string): Promise<number> {
    const [ends, committed] = await Promise.all([
      whileLeadershipMoves(() => admin.fetchTopicOffsets(topic)),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const committedByPartition = new Map(
      (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
        p.partition,
        Number(p.offset),
      ]),
    );
    let lag = 0;
    for (const { partition, high, low } of ends) {
      const at = committedByPartition.get(partition) ?? -1;
      lag += Number(high) - (at >= 0 ? at : Number(low));
    }
    return lag;
  }

  class KafkaLogConsumer implements Consumer {
    private stopping = false;
    private stopPromise: Promise<void> | undefined;
    private wake: (() => void) | undefined;
    private readonly consumer: KafkaConsumer;
    private readonly started: Promise<void>;

    constructor(
      private readonly group: string,
      private readonly topic: string,
      private readonly handle: BatchHandler,
      private readonly maxBatch: number,
    ) {
      this.consumer = kafka.consumer({
        groupId: group,
        allowAutoTopicCreation: false,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: options.heartbeatIntervalMs ?? 3000,
        maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
      });
      this.started = this.start();
    }

    stop(): Promise<void> {
      if (!this.stopPromise) {
        this.stopPromise = (async () => {
          this.stopping = true;
          this.wake?.();
          await this.started;
          // Waits for the batch in flight (handled and committed, or abandoned uncommitted), then leaves the group.
          await this.consumer.disconnect();
        })();
      }
      return this.stopPromise;
    }

    lag(): Promise<number> {
      return lagOf(this.group, this.topic);
    }

    flush(): void {} // batches are what each fetch returns: nothing lingers

    /** Joins the group and runs; retries (until stopped) while the topic does not exist yet or the broker is away. */
    private async start(): Promise<void> {
      await Promise.resolve(); // the caller gets the Consumer back before anything happens
      while (!this.stopping) {
        try {
          await this.consumer.connect();
          await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
          await this.consumer.run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: 1,
            eachBatch: (payload) => this.onBatch(payload),
          });
          return;
        } catch (error) {
          if (this.stopping) return;
          console.error(`event-log: consumer of group ${this.group} could not start on ${this.topic}`, error);
          await this.consumer.disconnect().catch(() => {});
          await this.sleep(retryDelayMs);
        }
      }
    }

    private async onBatch(payload: EachBatchPayload): Promise<void> {
      const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
      const { topic, partition, messages } = batch;
      const gone = () => this.stopping || !isRunning() || isStale();
      for (let start = 0; start < messages.length; start += this.maxBatch) {
        if (gone()) return;
        const chunk = messages.slice(start, start + this.maxBatch);
        const records = chunk.map((m) => storedRecord(topic, partition, m));
        const first = records[0]!.offset;
        const last = records.at(-1)!.offset;
        for (;;) {
          try {
            await this.handle(records);
            break;
          } catch (error) {
            console.error(
              `event-log: handler of group ${this.group} failed on ${topic}[${partition}] ` +
                `offsets ${first}..${last}, redelivering`,
              error,
            );
            // Stopping or losing the partition while retrying leaves the chunk uncommitted: the next owner gets it.
            if (gone()) return;
            await this.sleep(retryDelayMs);
            if (gone()) return;
            await heartbeat();
          }
        }
        // After the batch's last message may come records that kafkajs filtered out (transaction markers):
        // the last chunk commits past them, or the group would never reach lag 0.
        const end =
          start + this.maxBatch >= messages.length ? Math.max(last, Number(batch.lastOffset())) : last;
        await commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: String(end + 1) }] }],
        });
        resolveOffset(chunk.at(-1)!.offset);
        await heartbeat();
      }
    }

    /** A delay that stop() cuts short. */
    private sleep(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        this.wake = done;
      });
    }
  }

  return withLifecycle({
    ensureTopics: ensureTopicsNow,
    publish: publishNow,
    consume: (group, topic, handle, { maxBatch }) => new KafkaLogConsumer(group, topic, handle, maxBatch),
    async close() {
      await producer.disconnect();
      await admin.disconnect();
    },
  });
}

/**
 * Retries `action` while Kafka answers that a partition has no serving leader yet (just created, or a
 * leader moving); kafkajs' admin.fetchTopicOffsets gives up on the first such answer.
 */
async function whileLeadershipMoves<T>(action: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const type = (error as { type?: string }).type;
      const moving =
        type === 'NOT_LEADER_FOR_PARTITION' ||
        type === 'LEADER_NOT_AVAILABLE' ||
        type === 'UNKNOWN_LEADER_EPOCH';
      if (!moving || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
    }
  }
}

function storedRecord(topic: string, partition: number, m: KafkaMessage): StoredRecord {
  const value = m.value ?? new Uint8Array(0);
  const key = m.key ? utf8.decode(m.key) : '';
  const offset = Number(m.offset);
  const names = m.headers ? Object.keys(m.headers) : [];
  if (names.length === 0) return { topic, partition, offset, key, value };
  const headers: Record<string, string> = {};
  for (const name of names) {
    const raw = m.headers![name];
    const one = Array.isArray(raw) ? raw.at(-1) : raw;
    if (one !== undefined) headers[name] = typeof one === 'string' ? one : utf8.decode(one);
  }
  return { topic, partition, offset, key, value, headers };
}
