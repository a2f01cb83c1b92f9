/**
 * Distributed-mode benchmark, in one run on the same generated Scan Report:
 *  (a) the parse-only ceiling (papaparse, the fastest measured; fresh process);
 *  (b) end to end in embedded mode through the API (as in ingest-bench.ts);
 *  (c) end to end in distributed mode: the gateway, ingest and read targets as processes on real
 *      Kafka, Apicurio, Keycloak and PostgreSQL (tests/support/distributed-stack.ts), uploaded through
 *      the gateway until every finding is queryable;
 *  (d) how long the projector takes to drain a backlog of N findings (default 1,000,000) published to
 *      Kafka while it was stopped: from the read target being ready to the import being done.
 *
 *   node --import tsx bench/src/distributed-bench.ts --size 1GB [--seed 1] [--backlog 1000000]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSerde, type FindingObserved, type ImportEvent, keyOf, Topics } from '@q2h/contracts';
import { registerTopicSchemas } from '@q2h/contracts/registry';
import { openKafkaEventLog } from '@q2h/event-log';
import { startDistributedStack, USERS } from '../../tests/support/distributed-stack.ts';
import { ceilingInFreshProcess, endToEnd, MiB, uploadWithCurl, waitForImport } from './bench-harness.ts';
import { generateScanReport, parseSize, planScanReport } from './generate-scan-report.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GB' },
    seed: { type: 'string', default: '1' },
    backlog: { type: 'string', default: '1000000' },
  },
});
const size = values.size;
const seed = Number(values.seed);
const backlog = Number(values.backlog);

const targetBytes = parseSize(size);
const file = join(import.meta.dirname, '..', 'out', `report-${size.toLowerCase()}-seed${seed}.csv`);
const plan = existsSync(file)
  ? planScanReport({ targetBytes, seed })
  : await generateScanReport({ targetBytes, seed, out: file });
console.log(
  `\n## ${size}: ${(plan.bytes / MiB).toFixed(0)} MiB, ${plan.rows} detail rows, ${plan.hosts} hosts\n`,
);

const ceiling = await ceilingInFreshProcess('papaparse-feed', file);
const embedded = await endToEnd([file], plan.bytes);

console.log('starting the distributed stack…');
const stack = await startDistributedStack();
try {
  const token = await stack.token(USERS.analyst);
  const t0 = performance.now();
  const { id } = JSON.parse(await uploadWithCurl(`${stack.url}/api/imports`, file, token)) as { id: string };
  const uploadSeconds = (performance.now() - t0) / 1000;
  const view = await waitForImport(stack.url, id, token);
  const seconds = (performance.now() - t0) / 1000;
  if (view.status !== 'done' || view.findings !== plan.rows) {
    throw new Error(`distributed import: ${JSON.stringify(view)}, expected ${plan.rows} findings`);
  }
  const distributed = {
    seconds,
    uploadSeconds,
    mbPerSec: plan.bytes / MiB / seconds,
    rowsPerSec: plan.rows / seconds,
  };

  const drain = await drainBacklog(token);

  const pct = (x: number) => `${((x / ceiling.mbPerSec) * 100).toFixed(0)}%`;
  console.log('| measured | rows/s | MiB/s | s | note |');
  console.log('|---|---:|---:|---:|---|');
  console.log(
    `| ${ceiling.parser} | ${Math.round(ceiling.rowsPerSec)} | ${ceiling.mbPerSec.toFixed(1)} | ${ceiling.seconds.toFixed(2)} | parse-only ceiling |`,
  );
  console.log(
    `| end to end, embedded | ${Math.round(embedded.rowsPerSec)} | ${embedded.mbPerSec.toFixed(1)} | ${embedded.seconds.toFixed(2)} | ${pct(embedded.mbPerSec)} of the ceiling |`,
  );
  console.log(
    `| **end to end, distributed (Kafka)** | ${Math.round(distributed.rowsPerSec)} | ${distributed.mbPerSec.toFixed(1)} | ${distributed.seconds.toFixed(2)} | upload ${distributed.uploadSeconds.toFixed(2)} s; ${pct(distributed.mbPerSec)} of the ceiling; **${((distributed.mbPerSec / embedded.mbPerSec) * 100).toFixed(0)}% of embedded** |`,
  );
  console.log(
    `\nprojector backlog: ${backlog} findings published in ${drain.publishSeconds.toFixed(1)} s; drained in ${drain.drainSeconds.toFixed(1)} s (${Math.round(backlog / drain.drainSeconds)} findings/s) after the read target was ready`,
  );
} finally {
  await stack.stop();
}

/** Stops the read target, publishes an import of `backlog` findings straight to Kafka, restarts it and times the drain. */
async function drainBacklog(token: string): Promise<{ publishSeconds: number; drainSeconds: number }> {
  await stack.targets.read.stop();
  const log = await openKafkaEventLog({ brokers: stack.kafka.brokers, clientId: 'q2h-bench' });
  const serde = createSerde(await registerTopicSchemas(stack.registry.url));
  const importId = `bench${Date.now().toString(16)}`;
  const tenant = 'default';
  const at = Date.now();
  const importEvent = (event: ImportEvent) => ({
    key: keyOf(event),
    value: serde.encode(Topics.imports, event),
  });
  const t0 = performance.now();
  await log.publish(Topics.imports, [
    importEvent({
      type: 'ImportAccepted',
      eventId: `${importId}:accepted`,
      tenant,
      importId,
      occurredAt: at,
      sequence: at,
      filename: 'backlog',
      sha256: importId,
      dialect: 'qualys-scan-report-csv',
      encoding: 'utf-8',
      bytesTotal: 0,
    }),
  ]);
  const BATCH = 5000;
  for (let start = 0; start < backlog; start += BATCH) {
    const records = [];
    for (let ordinal = start; ordinal < Math.min(start + BATCH, backlog); ordinal++) {
      const ip = `10.${(ordinal >> 16) & 255}.${(ordinal >> 8) & 255}.${ordinal & 255}`;
      const finding: FindingObserved = {
        type: 'FindingObserved',
        eventId: `${importId}:${ordinal}`,
        tenant,
        importId,
        occurredAt: at,
        ordinal,
        line: ordinal + 2,
        findingKey: `${tenant}|${ip}|qualys:${90000 + (ordinal % 3000)}|443|tcp`,
        source: 'qualys',
        vulnKey: String(90000 + (ordinal % 3000)),
        severity: 1 + (ordinal % 5),
        vulnType: 'vulnerability',
        ip,
        dns: '',
        netbios: '',
        os: 'Linux',
        hostId: '',
        trackingMethod: 'IP',
        port: 443,
        protocol: 'tcp',
        fqdn: '',
        ssl: true,
        status: 'Active',
        firstDetected: at,
        lastDetected: at,
        timesDetected: 1,
        scannedAt: at,
        results: 'TLSv1.0 is enabled on port 443 (backlog benchmark)',
        network: '',
        scannerSeverity: String(1 + (ordinal % 5)),
      };
      records.push({ key: keyOf(finding), value: serde.encode(Topics.findings, finding) });
    }
    await log.publish(Topics.findings, records);
  }
  await log.publish(Topics.imports, [
    importEvent({
      type: 'ImportCompleted',
      eventId: `${importId}:completed`,
      tenant,
      importId,
      occurredAt: at,
      rowsDone: backlog,
      bytesDone: 0,
      findings: backlog,
      hosts: backlog,
      scannedAt: at,
      declaredTotalVulns: null,
      declaredActiveHosts: null,
    }),
  ]);
  const publishSeconds = (performance.now() - t0) / 1000;
  await log.close();

  await stack.targets.read.start();
  const t1 = performance.now();
  const view = await waitForImport(stack.url, importId, token);
  if (view.status !== 'done') throw new Error(`backlog import: ${JSON.stringify(view)}`);
  return { publishSeconds, drainSeconds: (performance.now() - t1) / 1000 };
}
