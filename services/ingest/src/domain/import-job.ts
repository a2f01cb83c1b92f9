import {
  type CoherenceResult,
  type DataTopic,
  eventIdOf,
  type FindingObserved,
  type ImportEvent,
  type TopicEvents,
  Topics,
  type VulnerabilityDefined,
} from '@q2h/contracts';
import { checkCoherence } from './coherence.ts';
import { formatOf } from './formats/index.ts';
import { parseReport } from './parse-report.ts';
import { assetOf, type ParsedFinding } from './report-model.ts';
import type { TextEncoding } from './text-encoding.ts';

export interface ImportJob {
  readonly tenant: string;
  readonly importId: string;
  readonly sequence: number;
  readonly filename: string;
  readonly path: string;
  readonly sha256: string;
  readonly bytesTotal: number;
  /** The report format's id (see formats/). */
  readonly dialect: string;
  readonly encoding: TextEncoding;
}

/** Where an import's events go: resolves when they are durable on the event log. */
export interface EventPublisher {
  publish<T extends DataTopic>(topic: T, events: readonly TopicEvents[T][]): Promise<void>;
}

export type ImportOutcome =
  | { kind: 'completed'; findings: number }
  | { kind: 'failed'; line: number | null; reason: string }
  | { kind: 'discarded' };

/**
 * An import that starts while its file is still being uploaded: it reads the file as it grows, and its
 * closing events wait for the upload's verdict (a known file or an upload that failed is discarded:
 * what it published never reaches the latest state, which only completed imports feed).
 */
export interface UploadInProgress {
  finalSize(): number | undefined;
  discarded(): boolean;
  /** true: the upload is complete and new; false: discard the import. */
  admission: Promise<boolean>;
}

const PROGRESS_EVERY_MS = 1000;
/**
 * Events are published in batches of about this many bytes. Smaller batches free the parsed rows
 * sooner: each holds slices of the text chunks it came from, and keeping 1 MiB of them alive made the
 * worker's garbage collection copy those chunks again and again (100 MB report, parse + publish on
 * LMDB: 44 MiB/s with 1 MiB batches, 58 MiB/s with 128 KiB). Kafka prefers fewer, larger requests.
 */
export const PUBLISH_BATCH_BYTES = { lmdb: 128 << 10, kafka: 1 << 20 } as const;
/** Rough Avro size of a finding without its Results text (keys, ids, host fields). */
const FINDING_OVERHEAD_BYTES = 300;

/**
 * Publishes in call order without waiting for each fsync before parsing on: at most `size` publishes
 * in flight (the backpressure), so parsing overlaps durable writes and the log can group-commit them.
 */
class PublishWindow {
  private readonly inflight: Promise<void>[] = [];
  constructor(private readonly size: number) {}

  async add(publish: Promise<void>): Promise<void> {
    publish.catch(() => {}); // surfaced when awaited below, not as an unhandled rejection
    this.inflight.push(publish);
    if (this.inflight.length > this.size) await this.inflight.shift();
  }

  async drain(): Promise<void> {
    while (this.inflight.length > 0) await this.inflight.shift();
  }
}

/** A report that parses but holds no finding is valid, and said loudly: users lose days to silent zeros. */
const ZERO_FINDINGS: CoherenceResult = {
  check: 'zero-findings',
  entity: null,
  expected: 'at least 1 finding',
  actual: '0 findings: check that this is the export you meant',
  level: 'warning',
};

export function importAccepted(job: ImportJob, now: number): ImportEvent {
  return {
    type: 'ImportAccepted',
    eventId: eventIdOf(job.importId, 'accepted'),
    tenant: job.tenant,
    importId: job.importId,
    occurredAt: now,
    sequence: job.sequence,
    filename: job.filename,
    sha256: job.sha256,
    dialect: job.dialect,
    encoding: job.encoding,
    bytesTotal: job.bytesTotal,
  };
}

/**
 * A finding's event, every field written out: one object shape for all findings, which the Avro
 * writer reads monomorphically. With the parsed finding spread into it (`...f`), V8 copied properties
 * one by one: 1 GiB report, interleaved, the server's CPU 9.6–10.9 → 8.8–9.9 s.
 */
function findingObserved(job: ImportJob, f: ParsedFinding, ordinal: number, at: number): FindingObserved {
  return {
    type: 'FindingObserved',
    eventId: eventIdOf(job.importId, ordinal),
    tenant: job.tenant,
    importId: job.importId,
    occurredAt: at,
    ordinal,
    line: f.line,
    findingKey: `${job.tenant}|${assetOf(f)}|${f.source}:${f.vulnKey}|${f.port ?? ''}|${f.protocol}`,
    source: f.source,
    vulnKey: f.vulnKey,
    severity: f.severity,
    vulnType: f.vulnType,
    ip: f.ip,
    dns: f.dns,
    netbios: f.netbios,
    os: f.os,
    hostId: f.hostId,
    trackingMethod: f.trackingMethod,
    port: f.port,
    protocol: f.protocol,
    fqdn: f.fqdn,
    ssl: f.ssl,
    status: f.status,
    firstDetected: f.firstDetected,
    lastDetected: f.lastDetected,
    timesDetected: f.timesDetected,
    // Newest detection wins in the latest state; without a date, the import's acceptance time.
    scannedAt: f.lastDetected ?? job.sequence,
    results: f.results,
    network: f.network,
    scannerSeverity: f.scannerSeverity,
  };
}

/**
 * Parses the stored report and publishes its events: VulnerabilityDefined once per QID, FindingObserved
 * per detail row, ImportProgressed every second, then CoherenceChecked and ImportCompleted (or
 * ImportFailed with the line and reason). Publishing awaits durability, which is the backpressure.
 */
export async function runImport(
  job: ImportJob,
  deps: {
    publisher: EventPublisher;
    now?: () => number;
    onRows?: (rows: number, bytes: number) => void;
    upload?: UploadInProgress;
    /** Default: the LMDB size (see PUBLISH_BATCH_BYTES). */
    publishBatchBytes?: number;
  },
): Promise<ImportOutcome> {
  const now = deps.now ?? Date.now;
  const base = { tenant: job.tenant, importId: job.importId };
  let ordinal = 0;
  const window = new PublishWindow(4);
  // Parsing works in small chunks (see csv-records.ts); events are published in ~1 MiB batches.
  let kb: VulnerabilityDefined[] = [];
  let pending: FindingObserved[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (kb.length > 0) await window.add(deps.publisher.publish(Topics.kb, kb));
    if (pending.length > 0) await window.add(deps.publisher.publish(Topics.findings, pending));
    kb = [];
    pending = [];
    pendingBytes = 0;
  };
  // The first chunk reports progress at once: the import shows as processing from its first rows.
  let lastProgress = Number.NEGATIVE_INFINITY;
  let lastBytes = 0;

  const format = formatOf(job.dialect);
  if (!format) throw new Error(`no reader for dialect ${job.dialect}`);
  const outcome = await parseReport(
    format,
    {
      path: job.path,
      encoding: job.encoding,
      ...(deps.upload ? { finalSize: () => deps.upload?.finalSize() } : {}),
    },
    {
      accept: async (findings, vulnerabilities, bytesDone) => {
        if (deps.upload?.discarded()) return 'stop';
        const at = now();
        for (const v of vulnerabilities) {
          kb.push({
            type: 'VulnerabilityDefined',
            ...base,
            eventId: eventIdOf(job.importId, `kb:${v.source}:${v.vulnKey}`),
            occurredAt: at,
            ...v,
          });
        }
        for (const f of findings) {
          pending.push(findingObserved(job, f, ordinal, at));
          pendingBytes += FINDING_OVERHEAD_BYTES + f.results.length;
          ordinal++;
        }
        deps.onRows?.(findings.length, bytesDone - lastBytes);
        lastBytes = bytesDone;
        if (pendingBytes >= (deps.publishBatchBytes ?? PUBLISH_BATCH_BYTES.lmdb)) await flush();
        if (at - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = at;
          await flush();
          await window.add(
            deps.publisher.publish(Topics.imports, [
              {
                type: 'ImportProgressed',
                ...base,
                eventId: eventIdOf(job.importId, `progress:${ordinal}`),
                occurredAt: at,
                rowsDone: ordinal,
                bytesDone,
                bytesTotal: job.bytesTotal,
              },
            ]),
          );
        }
        return 'continue';
      },
    },
  );

  await flush();
  // Every finding is durable before the import's closing events.
  await window.drain();
  if (deps.upload && !(await deps.upload.admission)) return { kind: 'discarded' };
  const at = now();
  if (outcome.kind !== 'ok') {
    const failure = outcome.kind === 'failed' ? outcome : { line: null, reason: 'stopped' };
    await deps.publisher.publish(Topics.imports, [
      {
        type: 'ImportFailed',
        ...base,
        eventId: eventIdOf(job.importId, 'failed'),
        occurredAt: at,
        reason: failure.reason,
        line: failure.line,
        rowsDone: ordinal,
      },
    ]);
    return { kind: 'failed', line: failure.line, reason: failure.reason };
  }
  const closing: ImportEvent[] = [];
  const results = [
    ...(outcome.declared ? checkCoherence(outcome.declared, outcome.observed) : []),
    ...(ordinal === 0 ? [ZERO_FINDINGS] : []),
  ];
  if (results.length > 0) {
    closing.push({
      type: 'CoherenceChecked',
      ...base,
      eventId: eventIdOf(job.importId, 'coherence'),
      occurredAt: at,
      results,
    });
  }
  closing.push({
    type: 'ImportCompleted',
    ...base,
    eventId: eventIdOf(job.importId, 'completed'),
    occurredAt: at,
    rowsDone: outcome.rows,
    bytesDone: outcome.bytes,
    findings: ordinal,
    hosts: outcome.observed.perIp.size,
    scannedAt: outcome.declared?.reportDate ?? null,
    declaredTotalVulns: outcome.declared?.totalVulns ?? null,
    declaredActiveHosts: outcome.declared?.activeHosts ?? null,
  });
  await deps.publisher.publish(Topics.imports, closing);
  return { kind: 'completed', findings: ordinal };
}
