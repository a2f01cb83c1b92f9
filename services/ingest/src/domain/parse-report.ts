import type { ObservedTotals } from './coherence.ts';
import type { ReportFormat, ReportSource } from './formats/index.ts';
import {
  assetOf,
  type DeclaredTotals,
  type ParsedFinding,
  type ParsedVulnerability,
} from './report-model.ts';

export interface ReportSink {
  /** Findings of one parsed chunk, with the vulnerabilities first seen in it; resolves when they are safe. */
  accept(
    findings: ParsedFinding[],
    newVulnerabilities: ParsedVulnerability[],
    bytesDone: number,
  ): Promise<'continue' | 'stop'>;
}

export type ParseOutcome =
  | { kind: 'ok'; rows: number; bytes: number; declared: DeclaredTotals | null; observed: ObservedTotals }
  | { kind: 'failed'; line: number | null; reason: string; rows: number }
  | { kind: 'stopped'; rows: number };

/**
 * Streams a report through the sink with its format's reader, counting what it sees (per asset, per
 * severity) and passing each vulnerability on once. Memory stays bounded by one chunk plus one entry
 * per asset and per vulnerability, whatever the file size.
 */
export async function parseReport(
  format: ReportFormat,
  source: ReportSource,
  sink: ReportSink,
): Promise<ParseOutcome> {
  const seenVulns = new Set<string>();
  const observed: ObservedTotals = { rows: 0, perIp: new Map(), bySeverity: new Map() };

  const read = await format.read(source, {
    accept(emitted, bytesDone) {
      const findings: ParsedFinding[] = new Array(emitted.length);
      const vulnerabilities: ParsedVulnerability[] = [];
      for (let i = 0; i < emitted.length; i++) {
        const { finding, vulnerability } = emitted[i] as (typeof emitted)[number];
        findings[i] = finding;
        const asset = assetOf(finding);
        const assetCount = observed.perIp.get(asset);
        observed.perIp.set(assetCount === undefined ? detached(asset) : asset, (assetCount ?? 0) + 1);
        observed.bySeverity.set(finding.severity, (observed.bySeverity.get(finding.severity) ?? 0) + 1);
        const vulnKey = `${finding.source}:${finding.vulnKey}`;
        if (!seenVulns.has(vulnKey)) {
          seenVulns.add(detached(vulnKey));
          vulnerabilities.push(vulnerability());
        }
      }
      observed.rows += emitted.length;
      return sink.accept(findings, vulnerabilities, bytesDone);
    },
  });

  if (read.kind === 'failed') return { ...read, rows: observed.rows };
  if (read.kind === 'stopped') return { kind: 'stopped', rows: observed.rows };
  return { kind: 'ok', rows: observed.rows, bytes: read.bytes, declared: read.declared, observed };
}

/**
 * A copy of a string kept for the whole import (a map key). V8 makes a substring of 13 characters or
 * more a view into its parent: an IP such as "10.120.123.45" cut from a 48 KiB text chunk kept that
 * chunk alive, and a 2 GiB report's 31k hosts kept 135 MB of chunks in the worker's heap.
 */
function detached(value: string): string {
  return structuredClone(value);
}
