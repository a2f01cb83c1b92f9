import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChdbAnalytics } from '@q2h/analytics';
import {
  createSerde,
  type FindingObserved,
  type ImportEvent,
  localSchemaIds,
  Topics,
  type VulnerabilityDefined,
} from '@q2h/contracts';
import { openLmdbEventLog } from '@q2h/event-log';
import { createLogger, createMetrics } from '@q2h/platform';
import { openPgliteRelational } from '@q2h/relational';
import { afterAll, describe, expect, it } from 'vitest';
import { latestStateQuery, startProjector } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-projector-'));
const serde = createSerde(localSchemaIds);
const log = await openLmdbEventLog({ path: join(dir, 'event-log') });
await log.ensureTopics(
  [Topics.imports, Topics.kb, Topics.findings, Topics.dlq].map((name) => ({ name, partitions: 2 })),
);
const analytics = await openChdbAnalytics(join(dir, 'analytics'));
const relational = openPgliteRelational(join(dir, 'relational'));
/** What the projector warned about: a batch that fell back from Avro to decoding says so. */
const warnings: string[] = [];
const refusedAsAvro = (topic: string) =>
  warnings.filter((w) => w.includes('refused as Avro') && w.includes(`"topic":"${topic}"`));
const projector = await startProjector({ dataDir: dir } as Parameters<typeof startProjector>[0], {
  log,
  serde,
  analytics,
  relational,
  logger: createLogger('warn', 'projector-test', { write: (line: string) => warnings.push(line) }),
  metrics: createMetrics(),
});

afterAll(async () => {
  await projector.stop();
  await log.close();
  await analytics.close();
  await relational.destroy();
});

function finding(importId: string, ordinal: number): FindingObserved {
  return {
    type: 'FindingObserved',
    eventId: `${importId}:${ordinal}`,
    tenant: 'default',
    importId,
    occurredAt: 1_763_000_000_000,
    ordinal,
    line: 20 + ordinal,
    findingKey: `default|10.0.0.${ordinal}|qualys:91850|443|tcp`,
    source: 'qualys',
    vulnKey: '91850',
    severity: 5,
    vulnType: 'vulnerability',
    ip: `10.0.0.${ordinal}`,
    dns: 'web01',
    netbios: 'WEB01',
    os: 'Windows',
    hostId: 'h1',
    trackingMethod: 'IP',
    port: ordinal % 2 ? 443 : null,
    protocol: 'tcp',
    fqdn: '',
    ssl: true,
    status: 'Active',
    firstDetected: null,
    lastDetected: 1_763_000_000_000 + ordinal,
    timesDetected: ordinal % 2 ? 3 : null,
    scannedAt: 1_763_000_000_000,
    results: `KB5049981 is not installed\n"quoted" — é ${ordinal}`,
    network: '',
    scannerSeverity: '5',
  };
}

/** The rows of `table` from one import, once at least `rows` of them are projected. */
async function projected(
  table: 'findings_history' | 'knowledge',
  orderBy: string,
  importId: string,
  rows: number,
) {
  for (let i = 0; i < 200; i++) {
    const found = await analytics.query<Record<string, unknown>>(
      `SELECT * FROM ${table} WHERE import_id = {importId:String} ORDER BY ${orderBy}`,
      { importId },
    );
    if (found.length >= rows) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${importId}: fewer than ${rows} rows projected into ${table}`);
}

const historyOf = (importId: string, rows: number) =>
  projected('findings_history', 'ordinal', importId, rows);

describe('Projector: findings into findings_history', () => {
  it('loads findings as Avro, every column where it belongs', async () => {
    const events = [0, 1, 2].map((i) => finding('avro-path', i));
    await log.publish(
      Topics.findings,
      events.map((e) => ({ key: e.ip, value: serde.encode(Topics.findings, e) })),
    );
    const rows = await historyOf('avro-path', 3);
    expect(rows[1]).toMatchObject({
      tenant: 'default',
      import_id: 'avro-path',
      ordinal: 1,
      line: 21,
      finding_key: 'default|10.0.0.1|qualys:91850|443|tcp',
      host_id: 'h1',
      tracking_method: 'IP',
      port: 443,
      ssl: true,
      first_detected: null,
      last_detected: 1_763_000_000_001,
      times_detected: 3,
      results: 'KB5049981 is not installed\n"quoted" — é 1',
      observed_at: 1_763_000_000_000,
      scanner_severity: '5',
    });
    expect(rows[0]).toMatchObject({ port: null, times_detected: null });
    expect(refusedAsAvro(Topics.findings)).toEqual([]);
  });

  it('given a batch holding an undecodable message, then the others are loaded and that one goes to the DLQ', async () => {
    const good = [0, 1].map((i) => finding('with-garbage', i));
    const garbage = Buffer.concat([
      serde.encode(Topics.findings, good[0]!).subarray(0, 6),
      Buffer.from('not avro'),
    ]);
    await log.publish(Topics.findings, [
      { key: 'a', value: serde.encode(Topics.findings, good[0]!) },
      { key: 'b', value: garbage },
      { key: 'c', value: serde.encode(Topics.findings, good[1]!) },
    ]);
    const rows = await historyOf('with-garbage', 2);
    expect(rows.map((r) => Number(r.ordinal))).toEqual([0, 1]);
    // Decoded and loaded as rows: every column still takes its own field.
    expect(rows[1]).toMatchObject({
      finding_key: 'default|10.0.0.1|qualys:91850|443|tcp',
      host_id: 'h1',
      port: 443,
      last_detected: 1_763_000_000_001,
      results: 'KB5049981 is not installed\n"quoted" — é 1',
      observed_at: 1_763_000_000_000,
      scanner_severity: '5',
    });
    expect(refusedAsAvro(Topics.findings)).not.toEqual([]);
    const dlq: Buffer[] = [];
    const consumer = log.consume('dlq-reader', Topics.dlq, async (records) => {
      for (const r of records) dlq.push(Buffer.from(r.value));
    });
    for (let i = 0; i < 100 && dlq.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await consumer.stop();
    expect(dlq).toEqual([garbage]);
  });
});

describe('Projector: vulnerabilities into knowledge', () => {
  it('loads them as Avro, every column where it belongs', async () => {
    const definition = (vulnKey: string, cvss3Base: number | null): VulnerabilityDefined => ({
      type: 'VulnerabilityDefined',
      eventId: `kb:${vulnKey}`,
      tenant: 'default',
      importId: 'kb-avro',
      occurredAt: 1_763_000_000_123,
      source: 'qualys',
      vulnKey,
      title: `Title of ${vulnKey} — "quoted"`,
      severity: 4,
      vulnType: 'practice',
      category: 'Windows',
      cves: ['CVE-2024-1', 'CVE-2024-2'],
      vendorReferences: 'MS24-001',
      cvssBase: null,
      cvssVector: '',
      cvss3Base,
      cvss3Vector: 'CVSS:3.1/AV:N',
      threat: 'threat\nsecond line',
      impact: 'impact',
      solution: 'solution',
      pciVuln: true,
      cvss4Base: null,
      cvss4Vector: '',
      epss: 0.25,
    });
    await log.publish(Topics.kb, [
      { key: 'a', value: serde.encode(Topics.kb, definition('kb-1', 7.5)) },
      { key: 'b', value: serde.encode(Topics.kb, definition('kb-2', null)) },
    ]);
    const rows = await projected('knowledge', 'vuln_key', 'kb-avro', 2);
    expect(rows[0]).toMatchObject({
      tenant: 'default',
      source: 'qualys',
      vuln_key: 'kb-1',
      title: 'Title of kb-1 — "quoted"',
      severity: 4,
      vuln_type: 'practice',
      cves: ['CVE-2024-1', 'CVE-2024-2'],
      vendor_references: 'MS24-001',
      cvss_base: null,
      cvss3_base: 7.5,
      cvss3_vector: 'CVSS:3.1/AV:N',
      threat: 'threat\nsecond line',
      pci_vuln: true,
      version: 1_763_000_000_123,
      epss: 0.25,
    });
    expect(rows[1]).toMatchObject({ vuln_key: 'kb-2', cvss3_base: null });
    expect(refusedAsAvro(Topics.kb)).toEqual([]);
  });
});

describe('Projector: an import promoted to the latest state', () => {
  it('given its findings delivered twice, then each counts once in the latest state', async () => {
    const importId = 'redelivered';
    const events = [0, 1, 2].map((i) => finding(importId, i));
    const records = events.map((e) => ({ key: e.ip, value: serde.encode(Topics.findings, e) }));
    await log.publish(Topics.findings, records);
    await historyOf(importId, 3);
    // Again, as after a producer's retry or a consumer's restart: a second insert, so a second part of
    // history holds the copies until a merge collapses them.
    await log.publish(Topics.findings, records);
    for (let i = 0; i < 200 && (await projector.lag())[Topics.findings] !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = { tenant: 'default', importId, occurredAt: 1_763_000_000_000 };
    const closing: ImportEvent[] = [
      {
        type: 'ImportAccepted',
        ...base,
        eventId: `${importId}:accepted`,
        sequence: 1_763_000_000_000,
        filename: 'scan.csv',
        sha256: 'a'.repeat(64),
        dialect: 'qualys-scan-report',
        encoding: 'utf-8',
        bytesTotal: 1000,
      },
      {
        type: 'ImportCompleted',
        ...base,
        eventId: `${importId}:completed`,
        rowsDone: 3,
        bytesDone: 1000,
        findings: 3,
        hosts: 3,
        scannedAt: null,
        declaredTotalVulns: null,
        declaredActiveHosts: null,
      },
    ];
    await log.publish(
      Topics.imports,
      closing.map((e) => ({ key: importId, value: serde.encode(Topics.imports, e) })),
    );
    for (let i = 0; i < 200; i++) {
      if ((await relational('imports').where({ id: importId }).first('status'))?.status === 'done') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const latest = latestStateQuery({ tenant: 'default', severities: [1, 2, 3, 4, 5], report: importId });
    const [row] = await analytics.query<{ n: string }>(
      `SELECT count() AS n FROM (${latest.sql})`,
      latest.params,
    );
    expect(Number(row?.n)).toBe(3);
  });
});
