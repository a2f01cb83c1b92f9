/**
 * Distributed mode's SchemaIds: the topics' Avro schemas registered in a Confluent-API schema registry
 * (Confluent Schema Registry, or Apicurio Registry's `ccompat` API), TopicNameStrategy subjects
 * `<topic>-value`, each with BACKWARD compatibility.
 *
 * Plain `fetch` against the Confluent REST API rather than @kafkajs/confluent-schema-registry: every topic
 * schema here is a top-level union (ADR 0002), and that library's `register()` rejects a schema without a
 * top-level `name` ("Invalid name: undefined"); its decode would also build its own avsc types, while the
 * one serde of `serde.ts` only needs ids and writer schemas.
 *
 * `SchemaIds.writerSchema(id)` is synchronous (the serde decodes synchronously), so schemas are fetched
 * ahead: registration loads every registered version of the topics' subjects; an id registered later (a
 * newer producer) is fetched with `load(id)` / `loadFor(bytes)` before decoding. An id never loaded makes
 * writerSchema throw, which the serde reports as a `dlq` result, not a crash.
 */
import { Buffer } from 'node:buffer';
import { topicSchema } from './schemas.ts';
import type { SchemaIds } from './serde.ts';
import { type DataTopic, topicRecords } from './topics.ts';

export type Compatibility =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

export interface RegistrySchemaIds extends SchemaIds {
  readonly registryUrl: string;
  /** The subject of each topic's value schema. */
  subjectOf(topic: DataTopic): string;
  /** Fetches (once, then cached) the schema registered under `id`; afterwards writerSchema(id) answers. */
  load(id: number): Promise<unknown>;
  /** load() for the schema id in a Confluent wire-format message; a no-op for bytes not in that format. */
  loadFor(bytes: Uint8Array): Promise<void>;
}

export interface RegisterTopicSchemasOptions {
  /** Default: every data topic. */
  readonly topics?: readonly DataTopic[];
  /** Default BACKWARD (ARCHITECTURE: Avro evolves with BACKWARD compatibility). */
  readonly compatibility?: Compatibility;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** TopicNameStrategy: the value schema of `topic` is the subject `<topic>-value`. */
export const valueSubject = (topic: string): string => `${topic}-value`;

export class SchemaRegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: number | undefined,
  ) {
    super(message);
    this.name = 'SchemaRegistryError';
  }
}

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { accept: CONTENT_TYPE, ...(body === undefined ? {} : { 'content-type': CONTENT_TYPE }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    let errorCode: number | undefined;
    try {
      const parsed = JSON.parse(text) as { message?: string; error_code?: number };
      detail = parsed.message ?? text;
      errorCode = parsed.error_code;
    } catch {
      // not JSON: keep the text
    }
    throw new SchemaRegistryError(
      `schema registry: ${method} ${path} answered ${response.status}: ${detail}`,
      response.status,
      errorCode,
    );
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Sets the subject's compatibility level, then registers `schema` under it (an identical schema already
 * registered keeps its id). A schema that breaks the compatibility level is refused: SchemaRegistryError
 * with status 409.
 */
export async function registerSchema(
  registryUrl: string,
  subject: string,
  schema: unknown,
  compatibility: Compatibility = 'BACKWARD',
): Promise<number> {
  const base = registryUrl.replace(/\/+$/, '');
  const path = encodeURIComponent(subject);
  await call(base, 'PUT', `/config/${path}`, { compatibility });
  const { id } = await call<{ id: number }>(base, 'POST', `/subjects/${path}/versions`, {
    schema: JSON.stringify(schema),
  });
  return id;
}

/** Registers every topic's schema and returns SchemaIds backed by the registry (see the module comment). */
export async function registerTopicSchemas(
  registryUrl: string,
  options: RegisterTopicSchemasOptions = {},
): Promise<RegistrySchemaIds> {
  const base = registryUrl.replace(/\/+$/, '');
  const topics = options.topics ?? (Object.keys(topicRecords) as DataTopic[]);
  const compatibility = options.compatibility ?? 'BACKWARD';
  const writerIds = new Map<DataTopic, number>();
  const schemas = new Map<number, unknown>();
  const loading = new Map<number, Promise<unknown>>();

  for (const topic of topics) {
    writerIds.set(topic, await registerSchema(base, valueSubject(topic), topicSchema(topic), compatibility));
  }
  // Every version still registered under the subjects: what older producers may have written.
  for (const topic of topics) {
    const subject = encodeURIComponent(valueSubject(topic));
    const versions = await call<number[]>(base, 'GET', `/subjects/${subject}/versions`);
    for (const version of versions) {
      const found = await call<{ id: number; schema: string }>(
        base,
        'GET',
        `/subjects/${subject}/versions/${version}`,
      );
      schemas.set(found.id, JSON.parse(found.schema));
    }
  }

  const load = (id: number): Promise<unknown> => {
    if (schemas.has(id)) return Promise.resolve(schemas.get(id));
    let pending = loading.get(id);
    if (!pending) {
      pending = call<{ schema: string }>(base, 'GET', `/schemas/ids/${id}`).then(
        (found) => {
          const schema = JSON.parse(found.schema) as unknown;
          schemas.set(id, schema);
          loading.delete(id);
          return schema;
        },
        (error: unknown) => {
          loading.delete(id);
          throw error;
        },
      );
      loading.set(id, pending);
    }
    return pending;
  };

  return {
    registryUrl: base,
    subjectOf: (topic) => valueSubject(topic),
    writerId(topic) {
      const id = writerIds.get(topic);
      if (id === undefined) throw new Error(`schema registry: no schema registered here for topic ${topic}`);
      return id;
    },
    writerSchema(id) {
      if (!schemas.has(id)) {
        throw new Error(
          `schema id ${id} is not loaded from the registry (await load(id) or loadFor(bytes) first)`,
        );
      }
      return schemas.get(id);
    },
    load,
    async loadFor(bytes) {
      if (bytes.byteLength < 5 || bytes[0] !== 0) return;
      const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32BE(1);
      await load(id);
    },
  };
}
