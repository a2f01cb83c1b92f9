import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  createSerde,
  localSchemaIds,
  recordSchema,
  type SchemaIds,
  Topics,
  topicRecords,
  topicType,
} from '../src/index.ts';
import { sampleCompleted, sampleFinding } from './sample-events.ts';

const finding = sampleFinding;

describe('Avro serde', () => {
  const serde = createSerde(localSchemaIds);

  it('round-trips a finding byte for byte in the Confluent wire format', () => {
    const bytes = serde.encode(Topics.findings, finding);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(localSchemaIds.writerId(Topics.findings));
    const decoded = serde.decode(Topics.findings, bytes);
    expect(decoded).toEqual({ kind: 'ok', value: { ...finding } });
  });

  it('round-trips a finding larger than its encoding buffer, and the next small one', () => {
    const large = { ...finding, results: 'é'.repeat(300_000) };
    expect(serde.decode(Topics.findings, serde.encode(Topics.findings, large))).toEqual({
      kind: 'ok',
      value: large,
    });
    expect(serde.decode(Topics.findings, serde.encode(Topics.findings, finding))).toEqual({
      kind: 'ok',
      value: finding,
    });
  });

  it('round-trips every import event type on the imports topic', () => {
    const completed = sampleCompleted;
    const decoded = serde.decode(Topics.imports, serde.encode(Topics.imports, completed));
    expect(decoded).toEqual({ kind: 'ok', value: completed });
  });

  it('routes undecodable bytes to the DLQ instead of throwing', () => {
    expect(serde.decode(Topics.findings, Buffer.from('garbage')).kind).toBe('dlq');
    const truncated = serde.encode(Topics.findings, finding).subarray(0, 20);
    expect(serde.decode(Topics.findings, truncated)).toMatchObject({ kind: 'dlq' });
  });

  it('reads events written with an older schema version (BACKWARD compatibility)', () => {
    // v0 of FindingObserved: the same record without the optional timesDetected field.
    const older = recordSchema('FindingObserved');
    older.fields = older.fields.filter((f) => f.name !== 'timesDetected');
    const oldBody = topicType(Topics.findings, [older]).toBuffer(finding);
    const oldBytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), oldBody]);
    const readerIds: SchemaIds = {
      writerId: localSchemaIds.writerId,
      writerSchema: (id) => (id === 99 ? [older] : localSchemaIds.writerSchema(id)),
    };
    const decoded = createSerde(readerIds).decode(Topics.findings, oldBytes);
    expect(decoded).toEqual({ kind: 'ok', value: { ...finding, timesDetected: null } });
  });

  it('packs findings into an Avro container file that a standard Avro reader reads, fields renamed', async () => {
    const second = { ...finding, ordinal: 1, port: null, results: 'é "quoted"\nline' };
    const container = serde.avroContainer(
      Topics.findings,
      [serde.encode(Topics.findings, finding), serde.encode(Topics.findings, second)],
      { importId: 'import_id' },
    );
    expect(container).toBeInstanceOf(Array);
    const records: Record<string, unknown>[] = [];
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('data', (record: Record<string, unknown>) => records.push(record));
    await new Promise((resolve, reject) => {
      decoder.on('end', resolve).on('error', reject);
      decoder.end(Buffer.concat(container ?? []));
    });
    const { type: _type, importId, ...rest } = finding;
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ ...rest, import_id: importId });
    expect(records[1]).toMatchObject({ ordinal: 1, port: null, results: 'é "quoted"\nline' });
  });

  it('makes no container of a message in another schema, of bytes not in the wire format, or for a topic of several records', () => {
    const current = serde.encode(Topics.findings, finding);
    const older = Buffer.from(current);
    older.writeUInt32BE(99, 1);
    expect(serde.avroContainer(Topics.findings, [current, older])).toBeUndefined();
    expect(serde.avroContainer(Topics.findings, [current, Buffer.from('garbage')])).toBeUndefined();
    expect(
      serde.avroContainer(Topics.imports, [serde.encode(Topics.imports, sampleCompleted)]),
    ).toBeUndefined();
  });

  it('keeps the TS event shapes and the .avsc files in step', () => {
    const fields = recordSchema('FindingObserved').fields.map((f) => f.name);
    expect(
      Object.keys(finding)
        .filter((k) => k !== 'type')
        .sort(),
    ).toEqual([...fields].sort());
    for (const topic of Object.keys(topicRecords) as (keyof typeof topicRecords)[]) {
      expect(() => topicType(topic)).not.toThrow();
    }
  });
});
