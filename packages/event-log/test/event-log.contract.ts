import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BatchHandler,
  ConsumeOptions,
  Consumer,
  EventLog,
  LogRecord,
  StoredRecord,
} from '../src/event-log.ts';

export interface EventLogFixture {
  log: EventLog;
  dispose(): Promise<void>;
}

const text = new TextEncoder();
const untext = new TextDecoder();

/** Unique per test, so a shared broker (Kafka) never mixes the tests' topics or groups. */
const unique = (what: string) => `contract-${what}-${randomUUID().slice(0, 8)}`;

const record = (key: string, body: string, headers?: Record<string, string>): LogRecord =>
  headers ? { key, value: text.encode(body), headers } : { key, value: text.encode(body) };

const bodyOf = (r: StoredRecord) => untext.decode(r.value);

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The suite every event-log adapter passes (embedded LMDB now, Kafka in distributed mode).
 * `make` returns a log whose topics may already hold other tests' data: each test uses fresh names.
 * Adapters should redeliver a failed batch quickly (well under the 30 s waits used here).
 */
export function eventLogContract(name: string, make: () => Promise<EventLogFixture>) {
  describe(`Event-log contract: ${name}`, () => {
    let fixture: EventLogFixture;
    let log: EventLog;
    let consumers: Consumer[];

    beforeEach(async () => {
      fixture = await make();
      log = fixture.log;
      consumers = [];
    });

    afterEach(async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await fixture.dispose();
    });

    /** Starts a consumer that the suite stops after the test. */
    function consume(group: string, topic: string, handle: BatchHandler, options?: ConsumeOptions) {
      const consumer = log.consume(group, topic, handle, options);
      consumers.push(consumer);
      return consumer;
    }

    /** Consumes into an array (every delivered record, duplicates included). */
    function collect(group: string, topic: string, options?: ConsumeOptions) {
      const seen: StoredRecord[] = [];
      const consumer = consume(
        group,
        topic,
        async (records) => {
          seen.push(...records);
        },
        options,
      );
      return { seen, consumer };
    }

    async function topicWith(partitions: number) {
      const topic = unique('topic');
      await log.ensureTopics([{ name: topic, partitions }]);
      return topic;
    }

    it('Given records of several keys published in several batches, When consumed, Then each key keeps its publish order', async () => {
      const topic = await topicWith(4);
      const keys = Array.from({ length: 12 }, (_, i) => `asset-${i}`);
      let seq = 0;
      for (let batch = 0; batch < 5; batch++) {
        await log.publish(
          topic,
          Array.from({ length: 60 }, () => {
            const n = seq++;
            return record(keys[n % keys.length]!, String(n));
          }),
        );
      }
      const { seen } = collect(unique('group'), topic, { maxBatch: 25 });
      await waitFor(() => seen.length >= seq, 'every record');

      expect(seen).toHaveLength(seq);
      for (const key of keys) {
        const order = seen.filter((r) => r.key === key).map((r) => Number(bodyOf(r)));
        expect(order.length).toBeGreaterThan(0);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    });

    it('Given records with the same key, When published in separate calls, Then they land in one partition, with increasing offsets', async () => {
      const topic = await topicWith(6);
      const keys = Array.from({ length: 20 }, (_, i) => `tenant|10.0.0.${i}`);
      for (let round = 0; round < 3; round++) {
        await log.publish(
          topic,
          keys.map((k) => record(k, `${k}#${round}`)),
        );
      }
      const { seen } = collect(unique('group'), topic);
      await waitFor(() => seen.length >= keys.length * 3, 'every record');

      for (const r of seen) {
        expect(r.topic).toBe(topic);
        expect(r.partition).toBeGreaterThanOrEqual(0);
        expect(r.partition).toBeLessThan(6);
      }
      for (const key of keys) {
        const mine = seen.filter((r) => r.key === key);
        expect(mine.map(bodyOf)).toEqual([`${key}#0`, `${key}#1`, `${key}#2`]);
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
        const offsets = mine.map((r) => r.offset);
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
        expect(new Set(offsets).size).toBe(offsets.length);
      }
    });

    it('Given a handler that throws, When the batch fails, Then nothing is committed and the same records are delivered again', async () => {
      const topic = await topicWith(1);
      await log.publish(
        topic,
        ['a', 'b', 'c', 'd', 'e'].map((body) => record('k', body)),
      );
      const group = unique('group');
      const calls: { offsets: number[]; lag: number }[] = [];
      const handled: StoredRecord[] = [];
      const consumer: Consumer = consume(group, topic, async (records) => {
        calls.push({ offsets: records.map((r) => r.offset), lag: await consumer.lag() });
        if (calls.length <= 2) throw new Error('boom (expected by the test)');
        handled.push(...records);
      });
      await waitFor(() => handled.length >= 5, 'the redelivered records');

      const [failed, failedAgain, retried] = calls;
      expect(failedAgain!.offsets[0]).toBe(failed!.offsets[0]);
      expect(retried!.offsets[0]).toBe(failed!.offsets[0]);
      expect(failed!.lag).toBe(5);
      expect(failedAgain!.lag).toBe(5); // the failed call committed nothing
      for (const offset of failed!.offsets) expect(handled.map((r) => r.offset)).toContain(offset);
      expect(handled.map(bodyOf)).toEqual(['a', 'b', 'c', 'd', 'e']);
      await waitFor(async () => (await consumer.lag()) === 0, 'the commit after the successful retry');
    });

    it('Given a consumer whose handler keeps throwing, When it is stopped and another consumer of the group starts, Then that one gets the records again', async () => {
      const topic = await topicWith(2);
      await log.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => record(`k${i}`, String(i))),
      );
      const group = unique('group');
      let failures = 0;
      const failing = consume(group, topic, async () => {
        failures++;
        throw new Error('boom (expected by the test)');
      });
      await waitFor(() => failures >= 2, 'two failed deliveries');
      await failing.stop();

      const { seen, consumer } = collect(group, topic);
      await waitFor(() => seen.length >= 20, 'every record, again');
      expect(seen.map(bodyOf).sort()).toEqual(Array.from({ length: 20 }, (_, i) => String(i)).sort());
      await waitFor(async () => (await consumer.lag()) === 0, 'lag 0');
    });

    it('Given a handler that has not resolved yet, When lag is asked, Then the records count as uncommitted until it resolves, and lag drops to 0', async () => {
      const topic = await topicWith(3);
      await log.publish(
        topic,
        Array.from({ length: 30 }, (_, i) => record(`k${i}`, String(i))),
      );
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let calls = 0;
      const consumer = consume(unique('group'), topic, async () => {
        calls++;
        await gate;
      });
      try {
        await waitFor(() => calls > 0, 'the first handler call');
        await pause(100);
        expect(await consumer.lag()).toBe(30);
      } finally {
        release(); // else stopping the consumer after a failed expectation would wait forever
      }
      await waitFor(async () => (await consumer.lag()) === 0, 'lag 0');

      await log.publish(topic, [record('k-late', 'late')]);
      await waitFor(async () => (await consumer.lag()) === 0 && calls > 1, 'the late record committed');
      expect(await consumer.lag()).toBe(0);
    });

    it('Given a consumer that stopped after committing, When a new consumer of the same group starts, Then it resumes after the last committed record without loss or duplicate', async () => {
      const topic = await topicWith(3);
      const body = (i: number) => `r${i}`;
      await log.publish(
        topic,
        Array.from({ length: 60 }, (_, i) => record(`k${i % 7}`, body(i))),
      );
      const group = unique('group');
      const first = collect(group, topic, { maxBatch: 5 });
      await waitFor(() => first.seen.length >= 15, 'part of the records');
      await first.consumer.stop();
      const handledByFirst = first.seen.length;

      await log.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => record(`k${(60 + i) % 7}`, body(60 + i))),
      );
      const second = collect(group, topic, { maxBatch: 5 });
      await waitFor(() => first.seen.length + second.seen.length >= 80, 'the rest');
      await pause(200); // a duplicate would show up by now
      await second.consumer.stop();

      expect(first.seen.length).toBe(handledByFirst); // nothing handled after stop() resolved
      const all = [...first.seen, ...second.seen].map(bodyOf);
      expect(all).toHaveLength(80);
      expect(new Set(all)).toEqual(new Set(Array.from({ length: 80 }, (_, i) => body(i))));
      for (let p = 0; p < 3; p++) {
        const lastOfFirst = Math.max(-1, ...first.seen.filter((r) => r.partition === p).map((r) => r.offset));
        for (const r of second.seen.filter((s) => s.partition === p)) {
          expect(r.offset).toBeGreaterThan(lastOfFirst);
        }
      }
      expect(await second.consumer.lag()).toBe(0);
    });

    it('Given a handler in flight, When stop() is called, Then it resolves only after the handler finished and its records are committed', async () => {
      const topic = await topicWith(1);
      await log.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => record('k', String(i))),
      );
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = 0;
      let finished = 0;
      let handled = 0;
      const group = unique('group');
      const consumer = consume(group, topic, async (records) => {
        started++;
        await gate;
        handled += records.length;
        finished++;
      });
      let stopped = false;
      try {
        await waitFor(() => started > 0, 'the handler call');
        const stopping = consumer.stop().then(() => {
          stopped = true;
        });
        await pause(150);
        expect(stopped).toBe(false);
        release();
        await stopping;
      } finally {
        release();
      }
      expect(finished).toBe(started);
      const callsAtStop = started;
      await pause(150);
      expect(started).toBe(callsAtStop); // nothing delivered after stop() resolved

      // What the stopped consumer handled is committed: the group's next consumer gets only the rest.
      const next = collect(group, topic);
      await waitFor(() => handled + next.seen.length >= 10, 'the rest of the records');
      await pause(150);
      expect(handled + next.seen.length).toBe(10);
    });

    it('Given two groups, When both consume the topic, Then each gets every record', async () => {
      const topic = await topicWith(2);
      await log.publish(
        topic,
        Array.from({ length: 40 }, (_, i) => record(`k${i % 5}`, String(i))),
      );
      const a = collect(unique('group-a'), topic);
      const b = collect(unique('group-b'), topic, { maxBatch: 3 });
      await waitFor(() => a.seen.length >= 40 && b.seen.length >= 40, 'both groups');

      const expected = Array.from({ length: 40 }, (_, i) => String(i)).sort();
      expect(a.seen.map(bodyOf).sort()).toEqual(expected);
      expect(b.seen.map(bodyOf).sort()).toEqual(expected);
      await waitFor(async () => (await a.consumer.lag()) === 0 && (await b.consumer.lag()) === 0, 'lag 0');
    });

    it('Given an empty array, When it is published, Then nothing is appended or delivered', async () => {
      const topic = await topicWith(2);
      await log.publish(topic, []);
      const { seen, consumer } = collect(unique('group'), topic);
      await pause(150);
      expect(seen).toEqual([]);
      expect(await consumer.lag()).toBe(0);

      await log.publish(topic, [record('k', 'only')]);
      await waitFor(() => seen.length >= 1, 'the one record');
      await pause(100);
      expect(seen.map(bodyOf)).toEqual(['only']);
    });

    it('Given records with and without headers, When consumed, Then the headers come back as published', async () => {
      const topic = await topicWith(1);
      const headers = {
        'content-type': 'application/vnd.q2h+avro',
        schema: 'FindingObserved@3',
        note: 'été ✓',
      };
      await log.publish(topic, [record('k', 'with', headers), record('k', 'without')]);
      const { seen } = collect(unique('group'), topic);
      await waitFor(() => seen.length >= 2, 'both records');

      expect(seen[0]!.headers).toEqual(headers);
      expect(seen[1]!.headers ?? {}).toEqual({});
    });

    it('Given binary values (empty, every byte, random, a view into a larger buffer), When consumed, Then they come back byte for byte', async () => {
      const topic = await topicWith(2);
      const everyByte = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
      const random = new Uint8Array(3000);
      for (let i = 0; i < random.length; i++) random[i] = Math.floor(Math.random() * 256);
      const big = new Uint8Array(300_000).map((_, i) => (i * 131) & 0xff);
      const backing = Uint8Array.from({ length: 100 }, (_, i) => 255 - i);
      const view = backing.subarray(10, 60);
      const values = [new Uint8Array(0), everyByte, random, big, view];
      await log.publish(
        topic,
        values.map((value, i) => ({ key: `bin-${i}`, value })),
      );
      const { seen } = collect(unique('group'), topic);
      await waitFor(() => seen.length >= values.length, 'every value');

      values.forEach((value, i) => {
        const got = seen.find((r) => r.key === `bin-${i}`)!;
        expect(got.value).toBeInstanceOf(Uint8Array);
        expect(got.value.byteLength).toBe(value.byteLength);
        expect(Buffer.from(got.value.buffer, got.value.byteOffset, got.value.byteLength).equals(value)).toBe(
          true,
        );
      });
    });
  });
}
