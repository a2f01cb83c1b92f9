import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analytics } from '@q2h/analytics';
import { type DataTopic, type ImportEvent, type Serde, type TopicEvents, Topics } from '@q2h/contracts';
import type { Consumer, EventLog, StoredRecord } from '@q2h/event-log';
import type { Logger, Metrics } from '@q2h/platform';
import type { Relational } from '@q2h/relational';

export interface ProjectorDeps {
  log: EventLog;
  serde: Serde;
  analytics: Analytics;
  relational: Relational;
  tmpDir: string;
  logger: Logger;
  metrics: Metrics;
  /** How long an ImportCompleted may wait for its findings to be projected before it is retried. */
  completionWaitMs?: number;
}

const GROUP = 'q2h-projector';

/**
 * For the INSERT … SELECT that promotes a whole import: one thread, inserted 64k rows at a time. An
 * insert block is sorted in memory, and the default (~1M rows, several threads) held a 2 GiB report's
 * 471k rows at once: 690 → 511 MB of RSS growth for that import, in the same time (bench/RESULTS.md).
 * No deduplication while inserting (`optimize_on_insert`): every read of findings_latest is FINAL
 * anyway, and it took ~40 % of the promotion (1 GiB report: ~600 → ~380 ms).
 */
const IN_SMALL_BLOCKS =
  'SETTINGS max_threads = 1, max_insert_block_size = 65536, min_insert_block_size_rows = 65536, min_insert_block_size_bytes = 0, optimize_on_insert = 0';

/** FindingObserved fields whose findings_history column has another name. */
const FINDING_FIELD_COLUMNS: Readonly<Record<string, string>> = {
  importId: 'import_id',
  findingKey: 'finding_key',
  vulnKey: 'vuln_key',
  vulnType: 'vuln_type',
  hostId: 'host_id',
  trackingMethod: 'tracking_method',
  firstDetected: 'first_detected',
  lastDetected: 'last_detected',
  timesDetected: 'times_detected',
  scannedAt: 'scanned_at',
  occurredAt: 'observed_at',
  scannerSeverity: 'scanner_severity',
};
/** VulnerabilityDefined fields whose knowledge column has another name (the version is its time). */
const KNOWLEDGE_FIELD_COLUMNS: Readonly<Record<string, string>> = {
  importId: 'import_id',
  occurredAt: 'version',
  vulnKey: 'vuln_key',
  vulnType: 'vuln_type',
  vendorReferences: 'vendor_references',
  cvssBase: 'cvss_base',
  cvssVector: 'cvss_vector',
  cvss3Base: 'cvss3_base',
  cvss3Vector: 'cvss3_vector',
  cvss4Base: 'cvss4_base',
  cvss4Vector: 'cvss4_vector',
  pciVuln: 'pci_vuln',
};
// biome-ignore format: the table's column order
const KNOWLEDGE_COLUMNS = [
  'tenant', 'source', 'vuln_key', 'title', 'severity', 'vuln_type', 'category', 'cves', 'vendor_references',
  'cvss_base', 'cvss_vector', 'cvss3_base', 'cvss3_vector', 'threat', 'impact', 'solution', 'pci_vuln',
  'import_id', 'version', 'cvss4_base', 'cvss4_vector', 'epss',
];
// biome-ignore format: the table's column order
const FINDING_COLUMNS = [
  'tenant', 'import_id', 'ordinal', 'line', 'finding_key', 'source', 'vuln_key', 'severity', 'vuln_type',
  'ip', 'dns', 'netbios', 'os', 'host_id', 'tracking_method', 'port', 'protocol', 'fqdn', 'ssl', 'status',
  'first_detected', 'last_detected', 'times_detected', 'scanned_at', 'results', 'observed_at', 'network',
  'scanner_severity',
];

/**
 * Events → read models. Each topic has its own consumer; offsets are committed by the event log only
 * after the handler's writes resolved, and every write is idempotent (deterministic keys, Replacing
 * tables, upserts), so a redelivered batch or a restart mid-batch never double counts.
 */
export class Projector {
  private consumers: Consumer[] = [];
  private findingsConsumer: Consumer | undefined;
  private knowledgeConsumer: Consumer | undefined;
  /** Called after the next findings insert: waitForFindings counts again then, not at its next poll. */
  private readonly onFindingsInserted = new Set<() => void>();

  constructor(private readonly deps: ProjectorDeps) {}

  async start(): Promise<void> {
    await mkdir(this.deps.tmpDir, { recursive: true });
    const { log } = this.deps;
    // Few QIDs arrive at a time: lingering makes one part of many instead of one per poll (1 GiB
    // report: 53 → ~10 parts; see waitForKnowledge).
    this.knowledgeConsumer = log.consume(`${GROUP}-kb`, Topics.kb, (r) => this.knowledgeRecords(r), {
      maxBatch: 5000,
      lingerMs: 250,
    });
    this.findingsConsumer = log.consume(
      `${GROUP}-findings`,
      Topics.findings,
      (r) => this.findingRecords(r),
      // ClickHouse wants few, large inserts: every insert is a part that background merges rewrite.
      // 1 GiB report, CPU of chDB's threads: ~1,400-row inserts 9.3 s; up to 10,000 rows or 250 ms
      // 3.1–3.9 s; these 2.2–2.6 s. The linger ends once the import stops publishing (see lingerMs),
      // or when its ImportCompleted arrives (flush).
      { maxBatch: 25_000, lingerMs: 1000 },
    );
    this.consumers = [
      this.findingsConsumer,
      this.knowledgeConsumer,
      log.consume(
        `${GROUP}-imports`,
        Topics.imports,
        (r) => this.timed(Topics.imports, r, (e) => this.imports(e)),
        {
          maxBatch: 100,
        },
      ),
    ];
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  /** Records appended but not yet projected, per topic. */
  async lag(): Promise<Record<string, number>> {
    const topics = [Topics.findings, Topics.kb, Topics.imports];
    const lags = await Promise.all(this.consumers.map((c) => c.lag()));
    return Object.fromEntries(topics.map((t, i) => [t, lags[i] ?? 0]));
  }

  private async timed<T extends DataTopic>(
    topic: T,
    records: readonly StoredRecord[],
    project: (events: TopicEvents[T][]) => Promise<void>,
  ): Promise<void> {
    const end = this.deps.metrics.projectionDuration.startTimer({ topic });
    const events: TopicEvents[T][] = [];
    for (const record of records) {
      await this.deps.serde.prepare(record.value);
      const decoded = this.deps.serde.decode(topic, record.value);
      if (decoded.kind === 'ok') events.push(decoded.value);
      else await this.deadLetter(record, decoded.reason);
    }
    if (events.length > 0) await project(events);
    end();
  }

  private async deadLetter(record: StoredRecord, reason: string): Promise<void> {
    this.deps.logger.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset, reason },
      'to DLQ',
    );
    this.deps.metrics.dlqRecords.inc({ topic: record.topic });
    await this.deps.log.publish(Topics.dlq, [
      {
        key: record.key,
        value: record.value,
        headers: {
          error: reason,
          sourceTopic: record.topic,
          sourcePartition: String(record.partition),
          sourceOffset: String(record.offset),
        },
      },
    ]);
  }

  /**
   * Findings go to ClickHouse as the Avro the ingest wrote, in one container file: no decoding in JS
   * (1 GiB report: ~0.8 s less CPU on the main thread, and no event objects on its heap).
   */
  private async findingRecords(records: readonly StoredRecord[]): Promise<void> {
    await this.insertAvro(
      Topics.findings,
      records,
      'findings_history',
      FINDING_FIELD_COLUMNS,
      FINDING_COLUMNS,
    );
    this.findingsInserted();
  }

  /**
   * The knowledge's long texts too: decoding ~3,000 of them, writing them as JSON and turning that into
   * bytes cost the main thread ~0.4 s per 1 GiB report (ADR 0004).
   */
  private async knowledgeRecords(records: readonly StoredRecord[]): Promise<void> {
    await this.insertAvro(Topics.kb, records, 'knowledge', KNOWLEDGE_FIELD_COLUMNS, KNOWLEDGE_COLUMNS);
  }

  /**
   * Inserts a batch as its messages' Avro, in one container file. A batch with a message of an older
   * schema, or one ClickHouse refuses, is decoded instead (dead letters found) and loaded as rows:
   * each of `columns` (all of the table's, in its order) takes the field of its name or renamed to it.
   */
  private async insertAvro(
    topic: typeof Topics.findings | typeof Topics.kb,
    records: readonly StoredRecord[],
    table: string,
    rename: Readonly<Record<string, string>>,
    columns: readonly string[],
  ): Promise<void> {
    const container = this.deps.serde.avroContainer(
      topic,
      records.map((r) => r.value),
      rename,
    );
    if (container) {
      const end = this.deps.metrics.projectionDuration.startTimer({ topic });
      try {
        await this.insertFile(table, container, 'Avro', columns);
        end();
        return;
      } catch (error) {
        this.deps.logger.warn({ err: error, topic }, 'batch refused as Avro: decoding it');
      }
    }
    const fieldOf = Object.fromEntries(Object.entries(rename).map(([field, column]) => [column, field]));
    await this.timed(topic, records, (events) =>
      this.insertRows(
        table,
        events.map((event) => columns.map((column) => Reflect.get(event, fieldOf[column] ?? column))),
      ),
    );
  }

  private findingsInserted(): void {
    for (const wake of this.onFindingsInserted) wake();
    this.onFindingsInserted.clear();
  }

  /** chDB's fastest load path: JSONCompactEachRow in a temp file, then INSERT … SELECT FROM file(). */
  private async insertRows(table: string, rows: unknown[][]): Promise<void> {
    let text = '';
    for (const row of rows) text += `${JSON.stringify(row)}\n`;
    await this.insertFile(table, text, 'JSONCompactEachRow');
  }

  /** Loads rows through a temporary file (chDB reads files natively), removed whatever happens. */
  private async insertFile(
    table: string,
    content: string | readonly Uint8Array[],
    format: 'JSONCompactEachRow' | 'Avro',
    columns?: readonly string[],
  ): Promise<void> {
    const path = join(this.deps.tmpDir, `${table}-${randomUUID()}`);
    try {
      const file = await open(path, 'w');
      try {
        if (typeof content === 'string') await file.writeFile(content);
        else await file.writev(content);
      } finally {
        await file.close();
      }
      await this.deps.analytics.insertFile(table, path, format, columns);
    } finally {
      await rm(path, { force: true });
    }
  }

  private async imports(events: ImportEvent[]): Promise<void> {
    for (const event of events) await this.importEvent(event);
  }

  private async importEvent(event: ImportEvent): Promise<void> {
    const db = this.deps.relational;
    const at = new Date(event.occurredAt);
    const where = { tenant: event.tenant, id: event.importId };
    switch (event.type) {
      case 'ImportAccepted':
        await db('imports')
          .insert({
            ...where,
            filename: event.filename,
            dialect: event.dialect,
            encoding: event.encoding,
            sha256: event.sha256,
            sequence: event.sequence,
            status: 'accepted',
            bytes_total: event.bytesTotal,
            rows_done: 0,
            bytes_done: 0,
            findings: 0,
            hosts: 0,
            error_line: null,
            error_reason: null,
            created_at: at,
            updated_at: at,
          })
          .onConflict(['tenant', 'id'])
          .merge();
        await db('coherence_results').where({ tenant: event.tenant, import_id: event.importId }).delete();
        return;
      case 'ImportProgressed':
        await db('imports').where(where).whereIn('status', ['accepted', 'processing']).update({
          status: 'processing',
          rows_done: event.rowsDone,
          bytes_done: event.bytesDone,
          updated_at: at,
        });
        return;
      case 'CoherenceChecked':
        await db.transaction(async (trx) => {
          await trx('coherence_results').where({ tenant: event.tenant, import_id: event.importId }).delete();
          if (event.results.length > 0) {
            await trx.batchInsert(
              'coherence_results',
              event.results.map((r, position) => ({
                tenant: event.tenant,
                import_id: event.importId,
                position,
                ...r,
              })),
              500,
            );
          }
        });
        return;
      case 'ImportFailed':
        this.deps.metrics.importsFinished.inc({ outcome: 'failed' });
        await db('imports').where(where).whereNot({ status: 'retracted' }).update({
          status: 'failed',
          error_line: event.line,
          error_reason: event.reason,
          rows_done: event.rowsDone,
          updated_at: at,
        });
        return;
      case 'ImportRetracted':
        // ClickHouse first, then the catalog: a redelivery after a crash in between redoes both.
        await this.retractFromLatest(event.tenant, event.importId);
        this.deps.metrics.importsFinished.inc({ outcome: 'retracted' });
        await db('imports')
          .where(where)
          .update({ status: 'retracted', error_reason: `${event.reason} by ${event.by}`, updated_at: at });
        return;
      case 'ImportCompleted':
        // Its findings are all in the log: the last of them need not wait for a fuller batch.
        this.findingsConsumer?.flush();
        if ((await db('imports').where(where).first('status'))?.status === 'retracted') return;
        await this.waitForFindings(event.tenant, event.importId, event.findings);
        await this.waitForKnowledge();
        // The inserts' spare memory, kept for the next insert, goes before the promotion adds its own.
        await this.deps.analytics.releaseMemory();
        await this.promoteToLatest(event.tenant, event.importId, event.occurredAt);
        await this.deps.analytics.releaseMemory();
        this.deps.metrics.importsFinished.inc({ outcome: 'done' });
        await db('imports').where(where).update({
          status: 'done',
          rows_done: event.rowsDone,
          bytes_done: event.bytesDone,
          findings: event.findings,
          hosts: event.hosts,
          scanned_at: event.scannedAt,
          declared_total_vulns: event.declaredTotalVulns,
          declared_active_hosts: event.declaredActiveHosts,
          updated_at: at,
        });
    }
  }

  /** The findings consumer runs beside this one: "done" waits until every finding of the import is in. */
  private async waitForFindings(tenant: string, importId: string, expected: number): Promise<void> {
    const deadline = Date.now() + (this.deps.completionWaitMs ?? 600_000);
    for (;;) {
      const [row] = await this.deps.analytics.query<{ n: string }>(
        'SELECT uniqExact(ordinal) AS n FROM findings_history WHERE tenant = {tenant:String} AND import_id = {importId:String}',
        { tenant, importId },
      );
      if (Number(row?.n ?? 0) >= expected) return;
      if (Date.now() > deadline)
        throw new Error(`import ${importId}: findings still being projected; will retry`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.onFindingsInserted.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 50);
        this.onFindingsInserted.add(wake);
      });
    }
  }

  /**
   * Titles come from the knowledge topic, whose consumer lingers: "done" waits until it has caught up,
   * so a finished import never shows a QID without its title. Bounded: titles are not counts, and a
   * knowledge batch being retried must not hold the import back.
   */
  private async waitForKnowledge(): Promise<void> {
    const kb = this.knowledgeConsumer;
    const deadline = Date.now() + 5000;
    while (kb && (await kb.lag()) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * The import's rows leave the latest state; for each of its finding keys, the newest observation
   * of another completed, not retracted import (if any) becomes latest again. History is untouched.
   */
  private async retractFromLatest(tenant: string, importId: string): Promise<void> {
    const counting = await this.deps
      .relational('imports')
      .where({ tenant, status: 'done' })
      .whereNot({ id: importId })
      .pluck('id');
    const params = { tenant, importId, counting };
    await this.deps.analytics.command(
      'DELETE FROM findings_latest WHERE tenant = {tenant:String} AND import_id = {importId:String}',
      params,
    );
    await this.deps.analytics.command(
      `INSERT INTO findings_latest
       SELECT tenant, finding_key, import_id, source, vuln_key, severity, vuln_type, ip, dns, netbios, os, port,
              protocol, status, first_detected, last_detected, times_detected, scanned_at, toUInt64(scanned_at),
              network
       FROM findings_history FINAL
       WHERE tenant = {tenant:String} AND import_id IN {counting:Array(String)}
         AND finding_key IN (SELECT finding_key FROM findings_history
                             WHERE tenant = {tenant:String} AND import_id = {importId:String})
       ORDER BY scanned_at DESC, import_id DESC
       LIMIT 1 BY finding_key`,
      params,
    );
  }

  /**
   * The import's findings become the latest state of their keys (newest scan wins) and refresh its
   * assets. History is read without FINAL: a redelivered observation is the same row with the same
   * key and version, which findings_latest collapses itself (every read of it is FINAL). 1 GiB
   * report, interleaved: 0.2–0.6 s sooner "done".
   */
  private async promoteToLatest(tenant: string, importId: string, version: number): Promise<void> {
    const params = { tenant, importId, version };
    await this.deps.analytics.command(
      `INSERT INTO findings_latest
       SELECT tenant, finding_key, import_id, source, vuln_key, severity, vuln_type, ip, dns, netbios, os, port,
              protocol, status, first_detected, last_detected, times_detected, scanned_at, toUInt64(scanned_at),
              network
       FROM findings_history WHERE tenant = {tenant:String} AND import_id = {importId:String}
       ${IN_SMALL_BLOCKS}`,
      params,
    );
    await this.deps.analytics.command(
      `INSERT INTO assets
       SELECT tenant, ip, any(dns), any(netbios), any(os), import_id, {version:UInt64}
       FROM findings_history WHERE tenant = {tenant:String} AND import_id = {importId:String}
       GROUP BY tenant, ip, import_id`,
      params,
    );
  }
}
