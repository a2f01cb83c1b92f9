/**
 * A downstream consumer of q2h's finding events, written as another team would write it: kafkajs and
 * @kafkajs/confluent-schema-registry, nothing from q2h. It proves that a standard Confluent-format client
 * reads what q2h publishes (docs/consumers.md).
 *
 *   KAFKA_BROKERS=localhost:9092 \
 *   SCHEMA_REGISTRY_URL=http://localhost:8080/apis/ccompat/v7 \
 *   GROUP_ID=my-team-findings \
 *   node --import tsx examples/findings-consumer.ts
 *
 * stdout: one JSON line per finding (the FindingObserved record as decoded), each eventId once.
 * stderr: import lifecycle (ImportCompleted, ImportFailed) and anything skipped.
 *
 * It prints findings as they arrive. A consumer that counts findings must hold an import's findings
 * until that import's ImportCompleted (docs/consumers.md, "Delivery"): this one only reports on stderr
 * when an import completes, with how many of its findings it has seen.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

const FINDINGS = 'q2h.findings.v1';
const IMPORTS = 'q2h.imports.v1';
/** Avro full names of the records this consumer reads (namespace q2h.v1). */
const FINDING_OBSERVED = 'q2h.v1.FindingObserved';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`findings-consumer: set ${name} (see the comment at the top of this file)`);
    process.exit(2);
  }
  return value;
}

const brokers = required('KAFKA_BROKERS')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const registry = new SchemaRegistry({ host: required('SCHEMA_REGISTRY_URL') });
const groupId = required('GROUP_ID');

/**
 * A topic's schema is a union of records. The decoder (avsc, its default `wrapUnions: 'auto'`) hands a
 * union of one record back as that record, and a union of several as `{ "<full name>": record }`:
 * q2h.findings.v1 carries only FindingObserved today, q2h.imports.v1 carries several. Returns the record
 * with its full name, or `undefined` name when the union held a single record (the topic's only type).
 */
function recordOf(decoded: unknown): { name: string | undefined; record: Record<string, unknown> } {
  const value = decoded as Record<string, unknown>;
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0] : undefined;
  if (only?.startsWith('q2h.') && typeof value[only] === 'object' && value[only] !== null) {
    return { name: only, record: value[only] as Record<string, unknown> };
  }
  return { name: undefined, record: value };
}

// At-least-once: a redelivered or re-published event has the same eventId. A real consumer dedupes in its
// store (an upsert keyed by eventId); this Set lives as long as the process.
const printed = new Set<string>();
/** Distinct findings seen per import, to compare with ImportCompleted.findings. */
const seenPerImport = new Map<string, number>();

function onFinding(finding: Record<string, unknown>): void {
  const eventId = String(finding['eventId']);
  if (printed.has(eventId)) return;
  printed.add(eventId);
  const importId = String(finding['importId']);
  seenPerImport.set(importId, (seenPerImport.get(importId) ?? 0) + 1);
  process.stdout.write(`${JSON.stringify(finding)}\n`);
}

function onImportEvent(name: string | undefined, event: Record<string, unknown>): void {
  const importId = String(event['importId']);
  if (name === 'q2h.v1.ImportCompleted') {
    console.error(
      `import ${importId} completed: ${event['findings']} findings published, ` +
        `${seenPerImport.get(importId) ?? 0} seen here so far`,
    );
  } else if (name === 'q2h.v1.ImportFailed') {
    console.error(`import ${importId} failed (${event['reason']}): its findings do not count`);
  }
  // ImportAccepted, ImportProgressed, CoherenceChecked and record types added later: not needed here.
}

const kafka = new Kafka({ clientId: 'q2h-findings-consumer-example', brokers, logLevel: logLevel.WARN });
const consumer = kafka.consumer({ groupId });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`findings-consumer: ${signal}, leaving the group`);
  await consumer.disconnect();
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));

await consumer.connect();
// A new group starts at the beginning: q2h keeps its topics forever (retention.ms=-1).
await consumer.subscribe({ topics: [FINDINGS, IMPORTS], fromBeginning: true });
await consumer.run({
  // Offsets are committed after eachMessage resolved: a crash redelivers, never skips.
  eachMessage: async ({ topic, partition, message }) => {
    if (!message.value) return;
    let decoded: unknown;
    try {
      // Reads the magic byte and the schema id, fetches that writer schema once (then cached), decodes.
      decoded = await registry.decode(message.value);
    } catch (error) {
      // Not in the Confluent wire format: nothing to retry. Anything else (registry down...) throws, and
      // kafkajs delivers the message again.
      if ((error as Error).name !== 'ConfluentSchemaRegistryArgumentError') throw error;
      console.error(`skipped ${topic}[${partition}]@${message.offset}: ${(error as Error).message}`);
      return;
    }
    const { name, record } = recordOf(decoded);
    if (topic === FINDINGS) {
      if (name === undefined || name === FINDING_OBSERVED) onFinding(record);
    } else {
      onImportEvent(name, record);
    }
  },
});
console.error(
  `findings-consumer: group ${groupId} reading ${FINDINGS} and ${IMPORTS} from ${brokers.join(',')}`,
);
