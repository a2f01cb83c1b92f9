import { randomUUID } from 'node:crypto';
import { type KafkaEngine, startKafka } from '@q2h/test-engines';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventLog, partitionFor, type StoredRecord } from '../src/event-log.ts';
import { type KafkaEventLogOptions, openKafkaEventLog } from '../src/kafka-event-log.ts';
import { eventLogContract } from './event-log.contract.ts';

// One real broker (KRaft, local JVM) for the whole file; every test uses fresh topic and group names.
let kafka: KafkaEngine;
beforeAll(async () => {
  kafka = await startKafka();
}, 180_000);
afterAll(async () => {
  await kafka?.stop();
});

const open = (extra: Partial<KafkaEventLogOptions> = {}) =>
  openKafkaEventLog({
    brokers: kafka.brokers,
    clientId: 'q2h-event-log-test',
    // Quick redelivery and quick stop() (a fetch waits at most maxWaitTimeMs) for the tests.
    retryDelayMs: 200,
    maxWaitTimeMs: 200,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    logLevel: logLevel.ERROR,
    ...extra,
  });

eventLogContract('kafka', async () => {
  const log = await open();
  return { log, dispose: () => log.close() };
});

const text = new TextEncoder();
const unique = (what: string) => `kafka-${what}-${randomUUID().slice(0, 8)}`;

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Kafka event log', () => {
  it('Given keys published through Kafka, When consumed, Then each record sits in the partition partitionFor(key) chooses, as in the embedded adapter', async () => {
    const log = await open();
    try {
      const topic = unique('topic');
      await log.ensureTopics([{ name: topic, partitions: 5 }]);
      const keys = Array.from({ length: 40 }, (_, i) => `default|10.1.${i >> 4}.${i}`);
      await log.publish(
        topic,
        keys.map((key) => ({ key, value: text.encode(key) })),
      );
      const seen: StoredRecord[] = [];
      const consumer = log.consume(unique('group'), topic, async (records) => {
        seen.push(...records);
      });
      await waitFor(() => seen.length >= keys.length, 'every record');
      await consumer.stop();
      for (const r of seen) expect(r.partition).toBe(partitionFor(r.key, 5));
      expect(new Set(seen.map((r) => r.partition)).size).toBeGreaterThan(1);
    } finally {
      await log.close();
    }
  });

  it('Given ensureTopics, When the topic exists, Then it keeps everything (retention.ms=-1) and a second call with another partition count is refused', async () => {
    const log = await open();
    const client = new Kafka({ brokers: kafka.brokers, clientId: 'q2h-test', logLevel: logLevel.NOTHING });
    const admin = client.admin();
    try {
      const topic = unique('topic');
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      await log.ensureTopics([{ name: topic, partitions: 3 }]); // idempotent
      await expect(log.ensureTopics([{ name: topic, partitions: 4 }])).rejects.toThrow(/3 partitions, not 4/);
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      });
      expect(resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(
        '-1',
      );
      await expect(log.publish(unique('missing'), [{ key: 'k', value: text.encode('v') }])).rejects.toThrow(
        /unknown topic/,
      );
    } finally {
      await admin.disconnect();
      await log.close();
    }
  });

  it('Given acknowledged records and a committed group, When the broker is killed (SIGKILL) and restarted, Then nothing acknowledged is lost and the group resumes after its commit', async () => {
    const topic = unique('topic');
    const group = unique('group');
    let log: EventLog = await open();
    await log.ensureTopics([{ name: topic, partitions: 2 }]);
    await log.publish(
      topic,
      Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 5}`, value: text.encode(`a${i}`) })),
    );
    const before: StoredRecord[] = [];
    const first = log.consume(group, topic, async (records) => {
      before.push(...records);
    });
    await waitFor(async () => before.length >= 50 && (await first.lag()) === 0, 'the first 50, committed');
    await first.stop();
    await log.close();

    await kafka.kill();
    await kafka.restart();

    log = await open();
    try {
      await log.publish(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 5}`, value: text.encode(`b${i}`) })),
      );
      const after: StoredRecord[] = [];
      const second = log.consume(group, topic, async (records) => {
        after.push(...records);
      });
      await waitFor(async () => after.length >= 10 && (await second.lag()) === 0, 'the 10 new records');
      await second.stop();
      const bodies = (rs: StoredRecord[]) => rs.map((r) => new TextDecoder().decode(r.value)).sort();
      expect(bodies(after)).toEqual(Array.from({ length: 10 }, (_, i) => `b${i}`).sort());

      // Everything acknowledged before the crash is still there, for a new group.
      const all: StoredRecord[] = [];
      const reader = log.consume(unique('group'), topic, async (records) => {
        all.push(...records);
      });
      await waitFor(() => all.length >= 60, 'the whole topic');
      await reader.stop();
      expect(all).toHaveLength(60);
    } finally {
      await log.close();
    }
  });
});
