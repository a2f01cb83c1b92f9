import { Buffer } from 'node:buffer';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { type ApicurioEngine, startApicurio } from '@q2h/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  registerSchema,
  registerTopicSchemas,
  SchemaRegistryError,
  valueSubject,
} from '../src/registry-schema-ids.ts';
import { recordSchema, topicSchema, topicType } from '../src/schemas.ts';
import { createSerde } from '../src/serde.ts';
import type { DataTopic } from '../src/topics.ts';
import { Topics, topicRecords } from '../src/topics.ts';
import { sampleCompleted, sampleFinding } from './sample-events.ts';

// A real Apicurio Registry 3 (local JVM, in-memory storage) speaking the Confluent API (ccompat).
let registry: ApicurioEngine;
beforeAll(async () => {
  registry = await startApicurio();
}, 240_000);
afterAll(async () => {
  await registry?.stop();
});

const get = async (path: string) => {
  const response = await fetch(`${registry.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

const finding = sampleFinding;

const completed = sampleCompleted;

const topics = Object.keys(topicRecords) as DataTopic[];

describe('Topic schemas in a Confluent-API registry (Apicurio ccompat)', () => {
  it('Given the topic schemas, When registered, Then each topic union is the latest version of <topic>-value with BACKWARD compatibility, and registering again keeps the ids', async () => {
    const ids = await registerTopicSchemas(registry.url);

    for (const topic of topics) {
      const subject = encodeURIComponent(valueSubject(topic));
      expect(await get(`/config/${subject}`)).toMatchObject({ compatibilityLevel: 'BACKWARD' });
      const latest = await get(`/subjects/${subject}/versions/latest`);
      expect(latest['id']).toBe(ids.writerId(topic));
      expect(JSON.parse(latest['schema'] as string)).toEqual(topicSchema(topic));
    }
    expect(new Set(topics.map((t) => ids.writerId(t))).size).toBe(topics.length);

    const again = await registerTopicSchemas(registry.url);
    for (const topic of topics) expect(again.writerId(topic)).toBe(ids.writerId(topic));
  });

  it('Given registry ids, When events are encoded and decoded through createSerde, Then the wire header carries the registry id and the events come back equal', async () => {
    const producerIds = await registerTopicSchemas(registry.url);
    const consumerIds = await registerTopicSchemas(registry.url);
    const producer = createSerde(producerIds);
    const consumer = createSerde(consumerIds);

    const bytes = producer.encode(Topics.findings, finding);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(producerIds.writerId(Topics.findings));
    expect(consumer.decode(Topics.findings, bytes)).toEqual({ kind: 'ok', value: finding });

    const importBytes = producer.encode(Topics.imports, completed);
    expect(importBytes.readUInt32BE(1)).toBe(producerIds.writerId(Topics.imports));
    expect(consumer.decode(Topics.imports, importBytes)).toEqual({ kind: 'ok', value: completed });
  });

  it('Given a change that breaks BACKWARD compatibility (a new field without default), When registered, Then the registry refuses it and the latest version stays', async () => {
    const ids = await registerTopicSchemas(registry.url);
    const broken = recordSchema('FindingObserved');
    broken.fields = [...broken.fields, { name: 'cvss', type: 'double' }];

    const refused = await registerSchema(registry.url, valueSubject(Topics.findings), [broken]).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SchemaRegistryError);
    expect((refused as SchemaRegistryError).status).toBe(409);
    const latest = await get(
      `/subjects/${encodeURIComponent(valueSubject(Topics.findings))}/versions/latest`,
    );
    expect(latest['id']).toBe(ids.writerId(Topics.findings));
  });

  it('Given a newer compatible version registered by another producer, When a reader meets its id, Then it fetches that writer schema by id and resolves the event', async () => {
    const reader = await registerTopicSchemas(registry.url);
    const newer = recordSchema('FindingObserved');
    newer.fields = [...newer.fields, { name: 'cvss', type: ['null', 'double'], default: null }];
    const newerId = await registerSchema(registry.url, valueSubject(Topics.findings), [newer]);
    expect(newerId).not.toBe(reader.writerId(Topics.findings));

    const body = topicType(Topics.findings, [newer]).toBuffer({ ...finding, cvss: 9.8 });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(newerId, 1);
    const bytes = Buffer.concat([header, body]);
    const serde = createSerde(reader);

    // Not loaded yet: a dlq result, never an exception.
    expect(serde.decode(Topics.findings, bytes)).toMatchObject({ kind: 'dlq' });
    await reader.loadFor(bytes);
    expect(reader.writerSchema(newerId)).toEqual([newer]);
    // The same serde: the failed attempt cached nothing.
    expect(serde.decode(Topics.findings, bytes)).toEqual({ kind: 'ok', value: finding });
  });
  it('Given events written by createSerde with registry ids, When a standard client (@kafkajs/confluent-schema-registry) decodes them, Then it reads the same records: the findings union as its one record, the imports union wrapped by record name', async () => {
    const serde = createSerde(await registerTopicSchemas(registry.url));
    const client = new SchemaRegistry({ host: registry.url });
    const { type: _finding, ...findingRecord } = finding;
    const { type: _completed, ...completedRecord } = completed;

    expect(await client.decode(serde.encode(Topics.findings, finding))).toEqual(findingRecord);
    expect(await client.decode(serde.encode(Topics.imports, completed))).toEqual({
      'q2h.v1.ImportCompleted': completedRecord,
    });
  });

  it('Given versions registered by other producers before this one starts, When it registers, Then their writer schemas answer at once, without load()', async () => {
    const other = recordSchema('FindingObserved');
    other.fields = [...other.fields, { name: 'exploited', type: 'boolean', default: false }];
    const otherId = await registerSchema(registry.url, valueSubject(Topics.findings), [other]);

    const ids = await registerTopicSchemas(registry.url);
    expect(ids.writerSchema(otherId)).toEqual([other]);
    expect(ids.writerSchema(ids.writerId(Topics.findings))).toEqual(topicSchema(Topics.findings));
  });

  it('Given an id the registry does not know, When loaded, Then a SchemaRegistryError with status 404, and writerSchema still refuses it', async () => {
    const ids = await registerTopicSchemas(registry.url, { topics: [Topics.kb] });
    const unknown = 987_654;

    const refused = await ids.load(unknown).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SchemaRegistryError);
    expect((refused as SchemaRegistryError).status).toBe(404);
    expect(() => ids.writerSchema(unknown)).toThrow(/not loaded/);
    // Bytes not in the wire format: nothing to load.
    await expect(ids.loadFor(Buffer.from('{"json":true}'))).resolves.toBeUndefined();
  });
});
