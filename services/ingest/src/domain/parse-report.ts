import type { ObservedTotals } from './coherence.ts';
import { type CsvReadResult, readCsvRecords } from './csv-records.ts';
import { isQualysDetailHeader, type QualysRowMapper, qualysRowMapper } from './dialects/qualys-columns.ts';
import { ScanReportPreamble } from './dialects/qualys-scan-report.ts';
import type { Dialect } from './dialects/sniff-dialect.ts';
import type { DeclaredTotals, ParsedFinding, ParsedVulnerability } from './report-model.ts';
import type { TextEncoding } from './text-encoding.ts';

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
 * Streams a Qualys CSV report through the sink. Memory stays bounded by one chunk plus one entry per
 * host and per vulnerability (the dedup set of VulnerabilityDefined), whatever the file size.
 */
export async function parseReport(
  path: string,
  options: { dialect: Dialect; encoding: TextEncoding; finalSize?: () => number | undefined },
  sink: ReportSink,
): Promise<ParseOutcome> {
  const preamble = options.dialect === 'qualys-scan-report-csv' ? new ScanReportPreamble() : undefined;
  const seenVulns = new Set<string>();
  const observed: ObservedTotals = { rows: 0, perIp: new Map(), bySeverity: new Map() };
  let mapRow: QualysRowMapper | undefined;
  let invalid: { line: number; reason: string } | undefined;

  const read: CsvReadResult = await readCsvRecords(
    path,
    { encoding: options.encoding },
    async (records, bytesDone) => {
      const findings: ParsedFinding[] = [];
      const vulnerabilities: ParsedVulnerability[] = [];
      for (const { fields, line } of records) {
        if (!mapRow) {
          if (isQualysDetailHeader(fields)) mapRow = qualysRowMapper(fields);
          else if (preamble) preamble.accept(fields);
          else if (!(fields.length === 1 && fields[0] === '')) {
            invalid = { line, reason: 'expected the Qualys detail header (IP, QID, Title, Severity)' };
            return 'stop';
          }
          continue;
        }
        const row = mapRow(fields, line);
        if (row.kind === 'skip') continue;
        if (row.kind === 'invalid') {
          invalid = { line, reason: row.reason };
          return 'stop';
        }
        const { finding, vulnerability } = row;
        findings.push(finding);
        observed.rows++;
        observed.perIp.set(finding.ip, (observed.perIp.get(finding.ip) ?? 0) + 1);
        observed.bySeverity.set(finding.severity, (observed.bySeverity.get(finding.severity) ?? 0) + 1);
        if (!seenVulns.has(finding.vulnKey)) {
          seenVulns.add(finding.vulnKey);
          vulnerabilities.push(vulnerability());
        }
      }
      if (findings.length === 0 && vulnerabilities.length === 0) return 'continue';
      return sink.accept(findings, vulnerabilities, bytesDone);
    },
  );

  if (invalid) return { kind: 'failed', line: invalid.line, reason: invalid.reason, rows: observed.rows };
  if (read.kind === 'failed')
    return { kind: 'failed', line: read.line, reason: read.reason, rows: observed.rows };
  if (read.kind === 'stopped') return { kind: 'stopped', rows: observed.rows };
  if (!mapRow) {
    return {
      kind: 'failed',
      line: null,
      reason: 'no Qualys detail table (header IP, QID, Title, Severity) found',
      rows: 0,
    };
  }
  return {
    kind: 'ok',
    rows: observed.rows,
    bytes: read.bytes,
    declared: preamble?.declared ?? null,
    observed,
  };
}
