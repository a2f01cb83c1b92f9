/**
 * Distributed mode's SchemaIds: the topics' Avro schemas registered in a Confluent-API schema registry
 * (Confluent Schema Registry, or Apicurio Registry's `ccompat` API), TopicNameStrategy subjects
 * `<topic>-value`, each with BACKWARD compatibility.
 *
 * Reads go through @kafkajs/confluent-schema-registry's `SchemaRegistry`: a writer schema is fetched by id
 * with its cache (one request per id, concurrent misses share it, 5xx answers retried), version ids with
 * `getRegistryId`. Three calls stay plain `fetch` on the Confluent REST API, because the library cannot make
 * them (4.1.0, checked against Apicurio 3.3):
 * - registering: `register()` builds an avsc type and refuses one without a `name` ("Invalid name:
 *   undefined"), and every topic schema here is a top-level union (ADR 0002), which has none; its
 *   `{ type: AVRO, schema }` form goes through the same check;
 * - setting the compatibility level: `register()` sets it only when the subject has no level yet, after
 *   registering, and throws when the subject has another level; it has no call that sets a level;
 * - listing a subject's versions (to load what older producers wrote): no such call.
 *
 * `SchemaIds.writerSchema(id)` answers the schema as registered (its JSON), which the one serde of
 * `serde.ts` turns into its own avsc types (`wrapUnions: 'auto'`). The library's cache holds avsc types it
 * built with its own options, not that JSON, so a middleware on the library's client keeps the text of each
 * `GET /schemas/ids/{id}` answer it fetches; the library's cache decides when that happens.
 *
 * `writerSchema(id)` is synchronous (the serde decodes synchronously), so schemas are fetched ahead:
 * registration loads every registered version of the topics' subjects; an id registered later (a newer
 * producer) is fetched with `load(id)` / `loadFor(bytes)` before decoding. An id never loaded makes
 * writerSchema throw, which the serde reports as a `dlq` result, not a crash.
 */
import { Buffer } from 'node:buffer';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
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
const CLIENT_ID = 'q2h';

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

/** The calls the library has no method for (see the module comment). */
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

/** A library call whose HTTP errors (its ResponseError carries `status`) become SchemaRegistryError. */
async function viaLibrary<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status !== 'number') throw error;
    throw new SchemaRegistryError(`schema registry: ${what}: ${(error as Error).message}`, status, undefined);
  }
}

type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

/** Keeps the registered JSON of every schema the library fetches by id (`GET /schemas/ids/{id}`). */
function keepSchemaJson(into: Map<number, unknown>): RegistryMiddleware {
  return ({ resourceName, resourceMethod }) =>
    resourceName === 'Schema' && resourceMethod === 'find'
      ? {
          async response(next, _renew, request) {
            const response = await next();
            const data = response.data<string | { schema?: string }>();
            const body = (typeof data === 'string' ? JSON.parse(data) : data) as { schema?: string };
            if (typeof body.schema === 'string') {
              into.set(Number(request.params()['id']), JSON.parse(body.schema) as unknown);
            }
            return response;
          },
        }
      : {};
}

/**
 * Sets the subject's compatibility level, then registers `schema` under it (an identical schema already
 * registered keeps its id). A schema that breaks the compatibility level is refused: SchemaRegistryError
 * with status 409. Plain fetch: the library can neither register a top-level union nor set a level.
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
  // What the library fetched, and what it also built a type of: only those answer writerSchema.
  const fetched = new Map<number, unknown>();
  const schemas = new Map<number, unknown>();
  const registry = new SchemaRegistry({
    host: base,
    clientId: CLIENT_ID,
    middlewares: [keepSchemaJson(fetched)],
  });

  const load = async (id: number): Promise<unknown> => {
    const known = schemas.get(id);
    if (known !== undefined) return known;
    await viaLibrary(`schema id ${id}`, () => registry.getSchema(id));
    const schema = fetched.get(id);
    // The library's cache was filled without a fetch: only its own register() does that, never called here.
    if (schema === undefined) throw new Error(`schema registry: schema id ${id} was not fetched by id`);
    schemas.set(id, schema);
    return schema;
  };

  for (const topic of topics) {
    writerIds.set(topic, await registerSchema(base, valueSubject(topic), topicSchema(topic), compatibility));
  }
  // Every version still registered under the subjects: what older producers may have written.
  for (const topic of topics) {
    const subject = valueSubject(topic);
    const versions = await call<number[]>(base, 'GET', `/subjects/${encodeURIComponent(subject)}/versions`);
    for (const version of versions) {
      await load(
        await viaLibrary(`${subject} version ${version}`, () => registry.getRegistryId(subject, version)),
      );
    }
  }

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
