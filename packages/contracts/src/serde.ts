import { randomBytes } from 'node:crypto';
import avro from 'avsc';
import { fullName, isWrapped, recordSchema, topicType } from './schemas.ts';
import type { TopicEvents } from './topics.ts';
import { type DataTopic, topicRecords } from './topics.ts';

/**
 * The one serde of every transport: Confluent wire format (magic byte 0, 4-byte schema id, Avro body).
 * Embedded mode uses fixed local schema ids; distributed mode gets them from the schema registry.
 */
export interface SchemaIds {
  /** Id under which the current (writer) schema of a topic is registered. */
  writerId(topic: DataTopic): number;
  /** Writer schema for an id read from a message (any version still registered). */
  writerSchema(id: number): unknown;
  /** Fetches the writer schema of a message whose id is not known yet (a registry); a no-op otherwise. */
  loadFor?(bytes: Uint8Array): Promise<void>;
}

export type DecodeResult<T> = { kind: 'ok'; value: T } | { kind: 'dlq'; reason: string };

export interface Serde {
  encode<T extends DataTopic>(topic: T, event: TopicEvents[T]): Buffer;
  decode<T extends DataTopic>(topic: T, bytes: Uint8Array): DecodeResult<TopicEvents[T]>;
  /**
   * Messages of a one-record topic as an Avro object container file, for loaders that read Avro
   * themselves (ClickHouse's FORMAT Avro): the file's parts in order, the bodies views of the messages,
   * never decoded in JS nor copied into one buffer (write them with one writev). `rename` renames
   * fields in the container's schema (the binary encoding holds no names). undefined when a message is
   * not in the wire format or was written with another schema than the current one: decode those.
   */
  avroContainer(
    topic: DataTopic,
    messages: readonly Uint8Array[],
    rename?: Readonly<Record<string, string>>,
  ): Uint8Array[] | undefined;
  /** Call before decode(): makes the message's writer schema known (registry lookup by id, cached). */
  prepare(bytes: Uint8Array): Promise<void>;
}

const MAGIC = 0;
type Resolver = ReturnType<avro.Type['createResolver']>;

export function createSerde(ids: SchemaIds): Serde {
  const readers = new Map<DataTopic, avro.Type>();
  let scratch = Buffer.allocUnsafeSlow(64 * 1024);
  // undefined = the writer schema is the reader schema: no resolution needed.
  const resolvers = new Map<string, Resolver | undefined>();
  const readerOf = (topic: DataTopic): avro.Type => {
    let type = readers.get(topic);
    if (!type) {
      type = topicType(topic);
      readers.set(topic, type);
    }
    return type;
  };
  const resolverOf = (topic: DataTopic, id: number): Resolver | undefined => {
    const cacheKey = `${topic}#${id}`;
    if (!resolvers.has(cacheKey)) {
      const reader = readerOf(topic);
      resolvers.set(
        cacheKey,
        id === ids.writerId(topic)
          ? undefined
          : reader.createResolver(topicType(topic, ids.writerSchema(id))),
      );
    }
    return resolvers.get(cacheKey);
  };

  return {
    prepare: async (bytes) => {
      // A message that cannot be resolved is reported by decode() (dead letter), not here.
      await ids.loadFor?.(bytes).catch(() => {});
    },
    encode(topic, event) {
      const value = isWrapped(topic) ? { [fullName(event.type)]: event } : event;
      // Written after the header in a scratch buffer, then copied once (toBuffer() copied twice).
      for (;;) {
        scratch[0] = MAGIC;
        scratch.writeUInt32BE(ids.writerId(topic), 1);
        const end = readerOf(topic).encode(value, scratch, 5);
        if (end > 0) return Buffer.from(scratch.subarray(0, end));
        scratch = Buffer.allocUnsafeSlow(Math.max(2 * scratch.length, scratch.length - end));
      }
    },
    avroContainer(topic, messages, rename = {}) {
      const [record, ...others] = topicRecords[topic];
      if (!record || others.length > 0) return undefined;
      const writerId = ids.writerId(topic);
      const bodies: Uint8Array[] = new Array(messages.length);
      for (let i = 0; i < messages.length; i++) {
        const m = asBuffer(messages[i] as Uint8Array);
        // Magic byte, schema id, then the branch of the topic's one-record union (always 0).
        if (m.length < 7 || m[0] !== MAGIC || m.readUInt32BE(1) !== writerId || m[5] !== 0) return undefined;
        bodies[i] = m.subarray(6);
      }
      const schema = recordSchema(record);
      const fields = schema.fields.map((f) => ({ ...f, name: rename[f.name] ?? f.name }));
      return objectContainer(JSON.stringify({ ...schema, fields }), bodies);
    },
    decode(topic, bytes) {
      const buf = asBuffer(bytes);
      if (buf.length < 5 || buf[0] !== MAGIC)
        return { kind: 'dlq', reason: 'not in Confluent wire format (magic byte 0)' };
      const id = buf.readUInt32BE(1);
      try {
        const wrapped = readerOf(topic).fromBuffer(buf.subarray(5), resolverOf(topic, id));
        const [name, record] = isWrapped(topic)
          ? (Object.entries(wrapped as Record<string, Record<string, unknown>>)[0] ?? [])
          : [topicRecords[topic][0], wrapped as Record<string, unknown>];
        if (!name || !record) return { kind: 'dlq', reason: 'empty union value' };
        record.type = name.slice(name.lastIndexOf('.') + 1);
        return { kind: 'ok', value: record as unknown as TopicEvents[typeof topic] };
      } catch (error) {
        return { kind: 'dlq', reason: `undecodable Avro (schema id ${id}): ${(error as Error).message}` };
      }
    },
  };
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const LONG = avro.Type.forSchema('long');
const METADATA = avro.Type.forSchema({ type: 'map', values: 'bytes' });

/**
 * The parts of an Avro object container file of one block, no codec (Avro 1.11 spec, "Object Container
 * Files"). Not concatenated: a 25,000-finding batch is ~12 MB, and copying it into a fresh buffer cost
 * the projector ~0.45 s of the main thread per GiB imported, mostly in page faults.
 */
function objectContainer(schemaJson: string, bodies: readonly Uint8Array[]): Uint8Array[] {
  const sync = randomBytes(16);
  const size = bodies.reduce((sum, b) => sum + b.length, 0);
  return [
    Buffer.from('Obj\x01', 'latin1'),
    METADATA.toBuffer({ 'avro.schema': Buffer.from(schemaJson), 'avro.codec': Buffer.from('null') }),
    sync,
    LONG.toBuffer(bodies.length),
    LONG.toBuffer(size),
    ...bodies,
    sync,
  ];
}

/** Embedded mode: fixed ids, one per topic schema version, no registry process. */
export const localSchemaIds: SchemaIds = (() => {
  const byTopic: Record<DataTopic, number> = { 'q2h.imports.v1': 1, 'q2h.kb.v1': 2, 'q2h.findings.v1': 3 };
  const byId = new Map(Object.entries(byTopic).map(([topic, id]) => [id, topic as DataTopic]));
  return {
    writerId: (topic) => byTopic[topic],
    writerSchema: (id) => {
      const topic = byId.get(id);
      if (!topic) throw new Error(`unknown schema id ${id}`);
      return topicType(topic).schema();
    },
  };
})();
