import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type ApicurioEngine, type KafkaEngine, startApicurio, startKafka } from '@q2h/test-engines';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingObserved, ImportCompleted, ImportEvent } from '../src/events.ts';
import { registerTopicSchemas } from '../src/registry-schema-ids.ts';
import { createSerde, type Serde } from '../src/serde.ts';
import { type DataTopic, keyOf, type TopicEvents, Topics } from '../src/topics.ts';
import { sampleCompleted, sampleFinding } from './sample-events.ts';

// The runnable example of docs/consumers.md, run as a child process against a real Kafka 4 broker and a
// real Apicurio Registry 3 (ccompat), reading what q2h's serde wrote with registry ids.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const example = 'examples/findings-consumer.ts';

let kafka: KafkaEngine | undefined;
let registry: ApicurioEngine | undefined;
beforeAll(async () => {
  // Both JVMs at once: quicker than one after the other, even on 2 cores.
  const [k, r] = await Promise.allSettled([startKafka(), startApicurio()]);
  if (k.status === 'fulfilled') kafka = k.value;
  if (r.status === 'fulfilled') registry = r.value;
  if (k.status === 'rejected') throw k.reason;
  if (r.status === 'rejected') throw r.reason;
}, 300_000);
afterAll(async () => {
  await Promise.all([kafka?.stop(), registry?.stop()]);
}, 60_000);

const importId = 'imp-example';
const finding = (ordinal: number, ip: string, port: number): FindingObserved => ({
  ...sampleFinding,
  eventId: `${importId}:${ordinal}`,
  importId,
  ordinal,
  line: 19 + ordinal,
  ip,
  port,
  findingKey: `default|${ip}|qualys:91850|${port}|tcp`,
});
const findings = [
  finding(0, '10.0.0.1', 443),
  finding(1, '10.0.0.2', 443),
  finding(2, '10.0.0.3', 3389),
  finding(3, '10.0.0.1', 80),
];
const [f0, f1, f2, f3] = findings as [FindingObserved, FindingObserved, FindingObserved, FindingObserved];
const completed: ImportCompleted = {
  ...sampleCompleted,
  eventId: `${importId}:completed`,
  importId,
  findings: findings.length,
  hosts: 3,
};
const progressed: ImportEvent = {
  type: 'ImportProgressed',
  eventId: `${importId}:progress:3`,
  tenant: 'default',
  importId,
  occurredAt: 1_763_000_000_000,
  rowsDone: 3,
  bytesDone: 300,
  bytesTotal: 400,
};

/** What the example prints for a finding: the Avro record, which has no `type` (the TS discriminant). */
const printedFormOf = ({ type: _type, ...fields }: FindingObserved) => fields;

/** Publishes as the product does: key = keyOf(event), value = the serde's bytes, acks from every replica. */
async function publish<T extends DataTopic>(
  producer: ReturnType<Kafka['producer']>,
  serde: Serde,
  topic: T,
  events: readonly TopicEvents[T][],
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((event) => ({ key: keyOf(event), value: serde.encode(topic, event) })),
  });
}

interface RunningExample {
  readonly child: ChildProcess;
  readonly lines: string[];
  stderr(): string;
  /** Resolves once `done()` holds (checked on every output), rejects if the child exits first or on timeout. */
  until(done: () => boolean, timeoutMs: number): Promise<void>;
}

function runExample(env: Record<string, string>): RunningExample {
  const child = spawn(process.execPath, ['--import', 'tsx', example], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l.length > 0));
    wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    wake();
  });
  child.on('exit', wake);
  return {
    child,
    lines,
    stderr: () => err,
    until(done, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (done()) finish(resolve);
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(() =>
              reject(new Error(`example exited (${child.exitCode ?? child.signalCode}):\n${err}`)),
            );
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`example: no expected output in ${timeoutMs} ms:\n${err}`))),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

describe('The example consumer of docs/consumers.md (kafkajs + @kafkajs/confluent-schema-registry)', () => {
  it('imports only packages from node_modules and node builtins, nothing of q2h', () => {
    const source = readFileSync(new URL(`../../../${example}`, import.meta.url), 'utf8');
    const specifiers = [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
    expect(specifiers.length).toBeGreaterThan(0);
    for (const specifier of specifiers) {
      const builtin = specifier.startsWith('node:') || builtinModules.includes(specifier);
      expect(builtin || !/^[./]|^@q2h\//.test(specifier), specifier).toBe(true);
    }
  });

  it('Given findings and their ImportCompleted published through the serde with registry ids (one finding twice), When the example consumes the topics, Then it prints each finding once, decoded, one JSON line each, and reports the completed import', async () => {
    if (!kafka || !registry) throw new Error('engines did not start');
    const serde = createSerde(await registerTopicSchemas(registry.url));
    // Quiet: kafkajs logs the first InitProducerId (transaction coordinator still loading, then retried) as
    // an error; real failures reach the test as exceptions.
    const client = new Kafka({
      clientId: 'q2h-example-test',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    });
    const admin = client.admin();
    const producer = client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    let running: RunningExample | undefined;
    await admin.connect();
    await producer.connect();
    try {
      // The embedded layout's partition counts (auth-gateway compose.ts); topics keep everything.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: Topics.findings, numPartitions: 4 },
          { topic: Topics.imports, numPartitions: 1 },
        ].map((t) => ({
          ...t,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: '-1' }],
        })),
      });
      await publish(producer, serde, Topics.findings, [f0, f1, f2]);
      await publish(producer, serde, Topics.imports, [progressed]);
      // f0 again (a redelivery), then f3: same asset, so the same key and partition, after it.
      await publish(producer, serde, Topics.findings, [f0, f3]);
      await publish(producer, serde, Topics.imports, [completed]);

      running = runExample({
        KAFKA_BROKERS: kafka.brokers.join(','),
        SCHEMA_REGISTRY_URL: registry.url,
        GROUP_ID: 'downstream-team-example',
      });
      const printedIds = () =>
        new Set(running!.lines.map((l) => (JSON.parse(l) as { eventId: string }).eventId));
      // f3 comes after the repeated f0 in its partition: once f3 is printed, the repeat was handled.
      await running.until(
        () =>
          findings.every((f) => printedIds().has(f.eventId)) &&
          running!.stderr().includes(`import ${importId} completed: ${findings.length} findings published`),
        90_000,
      );

      const printed = running.lines.map((l) => JSON.parse(l) as { eventId: string });
      expect(printed).toHaveLength(findings.length);
      expect([...printed].sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual(
        findings.map(printedFormOf),
      );
      expect(running.stderr()).not.toContain('skipped');
      // One asset's events stay in order.
      expect(printed.findIndex((p) => p.eventId === f0.eventId)).toBeLessThan(
        printed.findIndex((p) => p.eventId === f3.eventId),
      );

      running.child.kill('SIGTERM');
      const code = await new Promise((resolve) => {
        if (running!.child.exitCode !== null) resolve(running!.child.exitCode);
        else running!.child.once('exit', (exitCode) => resolve(exitCode));
      });
      expect(code).toBe(0);
    } finally {
      if (running && running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGKILL');
      }
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 180_000);
});
