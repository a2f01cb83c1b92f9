/**
 * The event-log port: topics split into partitions, records appended with increasing offsets,
 * consumer groups that commit their offsets only after their handler returned.
 * Values are opaque bytes: the Avro serde lives in @q2h/contracts, so every transport carries
 * exactly the same payloads.
 */
export interface LogRecord {
  /** Partitioning key: records with the same key land in the same partition, in order. */
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StoredRecord extends LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/**
 * Called with a batch of records, each partition's in offset order (Kafka: one partition per call; the
 * embedded log gathers several). Offsets are committed after it resolves.
 */
export type BatchHandler = (records: readonly StoredRecord[]) => Promise<void>;

export interface ConsumeOptions {
  /** Upper bound of records handed to one handler call. */
  readonly maxBatch?: number;
  /**
   * Embedded log: while fewer than maxBatch records wait and more keep arriving, hand them over only
   * after this long (default 0), so that a stream of small appends reaches the handler as a few large
   * batches; once none arrived for a fifth of it (at most 100 ms), at once. Kafka batches by its own
   * fetch and ignores it.
   */
  readonly lingerMs?: number;
}

export interface Consumer {
  /** Stops fetching; resolves once the in-flight batch (if any) has been handled and committed. */
  stop(): Promise<void>;
  /** Records appended but not yet committed by this group, summed over partitions. */
  lag(): Promise<number>;
  /**
   * The producer said it is done (an import's closing event): the records waiting now are handed over
   * without lingering for more. Kafka does not linger: nothing to do there.
   */
  flush(): void;
}

export interface EventLog {
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Resolves when every record is durable (embedded: fsynced; Kafka: acks=all). */
  publish(topic: string, records: readonly LogRecord[]): Promise<void>;
  /** Consumes from the group's committed offsets (or the beginning) and keeps following new records. */
  consume(group: string, topic: string, handle: BatchHandler, options?: ConsumeOptions): Consumer;
  close(): Promise<void>;
}

/** Stable partition choice for a key (FNV-1a), the same in every adapter that picks partitions itself. */
export function partitionFor(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/** What an adapter implements; `withLifecycle` turns it into an EventLog. */
export interface EventLogBackend {
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Called with a non-empty batch. */
  publish(topic: string, records: readonly LogRecord[]): Promise<void>;
  consume(group: string, topic: string, handle: BatchHandler, options: Required<ConsumeOptions>): Consumer;
  /** Called once every consumer has stopped and every write in flight has settled. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BATCH = 2000;

/**
 * The lifecycle every adapter shares: closing refuses new consumers; close stops the consumers first
 * (their handlers may still publish), then refuses writes, waits for those in flight and closes the
 * backend. Calling close again returns the same promise.
 */
export function withLifecycle(backend: EventLogBackend): EventLog {
  let closing = false;
  let closed = false;
  let closePromise: Promise<void> | undefined;
  const consumers = new Set<Consumer>();
  const pending = new Set<Promise<unknown>>();
  const closedError = () => new Error('event-log: the log is closed');
  const track = <T>(promise: Promise<T>): Promise<T> => {
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  return {
    ensureTopics(topics) {
      if (closed) return Promise.reject(closedError());
      return track(backend.ensureTopics(topics));
    },
    publish(topic, records) {
      if (closed) return Promise.reject(closedError());
      if (records.length === 0) return Promise.resolve();
      return track(backend.publish(topic, records));
    },
    consume(group, topic, handle, options) {
      if (closing) throw closedError();
      const maxBatch = options?.maxBatch ?? DEFAULT_MAX_BATCH;
      if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error('event-log: maxBatch must be >= 1');
      const lingerMs = options?.lingerMs ?? 0;
      const inner = backend.consume(group, topic, handle, { maxBatch, lingerMs });
      const consumer: Consumer = {
        async stop() {
          await inner.stop();
          consumers.delete(consumer);
        },
        lag: () => inner.lag(),
        flush: () => inner.flush(),
      };
      consumers.add(consumer);
      return consumer;
    },
    close() {
      closePromise ??= (async () => {
        closing = true;
        await Promise.all([...consumers].map((c) => c.stop()));
        closed = true;
        await Promise.allSettled([...pending]);
        await backend.close();
      })();
      return closePromise;
    },
  };
}
