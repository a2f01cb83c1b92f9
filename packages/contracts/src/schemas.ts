import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { type DataTopic, topicRecords } from './topics.ts';

const schemaDir = new URL('../schemas/v1/', import.meta.url);
const NAMESPACE = 'q2h.v1';

/** The Avro schema (JSON) of one record type, as written in schemas/v1/<Name>.avsc. */
export function recordSchema(name: string): avro.schema.RecordType {
  return JSON.parse(readFileSync(new URL(`${name}.avsc`, schemaDir), 'utf8')) as avro.schema.RecordType;
}

/** A topic's schema: the union of the records it carries (TopicNameStrategy: one subject per topic). */
export function topicSchema(topic: DataTopic): avro.schema.RecordType[] {
  return topicRecords[topic].map(recordSchema);
}

export function topicType(topic: DataTopic, schema: unknown = topicSchema(topic)): avro.Type {
  // 'auto': nullable fields stay plain values; a union of several records is wrapped ({ name: record }).
  return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
}

/** Whether a topic's union is wrapped by avsc (more than one record type). */
export function isWrapped(topic: DataTopic): boolean {
  return topicRecords[topic].length > 1;
}

export function fullName(record: string): string {
  return `${NAMESPACE}.${record}`;
}
