import type { RowResult } from '../../report-model.ts';
import { cellAt, isBlank, readCsvTable } from '../csv-table.ts';
import { NO_CVSS } from '../cvss.ts';
import type { ReportFormat } from '../report-format.ts';
import { epssOf, greenboneDate, openvasFinding, toNumber } from './openvas-result.ts';

/**
 * Columns of the Greenbone "CSV Results" export that q2h reads. Older exports have no QoD column,
 * newer ones add "Max Severity EPSS score" / "… percentile" at the end: columns are found by name.
 */
const COLUMNS = {
  ip: 'IP',
  hostname: 'Hostname',
  port: 'Port',
  protocol: 'Port Protocol',
  cvss: 'CVSS',
  severity: 'Severity',
  title: 'NVT Name',
  summary: 'Summary',
  output: 'Specific Result',
  oid: 'NVT OID',
  cves: 'CVEs',
  timestamp: 'Timestamp',
  impact: 'Impact',
  solution: 'Solution',
  insight: 'Vulnerability Insight',
  bids: 'BIDs',
  certs: 'CERTs',
  otherReferences: 'Other References',
  epss: 'Max Severity EPSS score',
} as const;

type Column = keyof typeof COLUMNS;
const REQUIRED: readonly Column[] = ['ip', 'oid', 'title', 'severity'];

/** True for the header of a Greenbone results CSV: IP, NVT OID, NVT Name and Severity. */
export function isOpenvasCsvHeader(fields: readonly string[]): boolean {
  return REQUIRED.every((column) => fields.includes(COLUMNS[column]));
}

/** Builds the row mapper for one header: column positions are looked up once, not per row. */
function openvasRowMapper(header: readonly string[]): (fields: readonly string[], line: number) => RowResult {
  const index = {} as Record<Column, number>;
  for (const column of Object.keys(COLUMNS) as Column[]) index[column] = header.indexOf(COLUMNS[column]);
  const width = header.length;

  return (fields, line) => {
    if (isBlank(fields)) return { kind: 'skip' };
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const port = cell(fields, index.port);
    return openvasFinding(
      {
        host: cell(fields, index.ip),
        hostname: cell(fields, index.hostname),
        port: /^\d+$/.test(port) ? Number(port) : null,
        protocol: cell(fields, index.protocol).toLowerCase(),
        threat: cell(fields, index.severity),
        score: cell(fields, index.cvss),
        oid: cell(fields, index.oid),
        title: cell(fields, index.title),
        family: '',
        cves: list(fields, index.cves),
        references: list(fields, index.bids, index.certs, index.otherReferences),
        // The CSV gives the score without its vector; Greenbone scores with CVSS v3 where the NVT has
        // one (since GVM 21.04), so q2h files it as v3, as DefectDojo does (report_detail_v2.csv: 9.8).
        cvss: { ...NO_CVSS, cvss3Base: toNumber(cell(fields, index.cvss)) },
        summary: cell(fields, index.summary),
        insight: cell(fields, index.insight),
        impact: cell(fields, index.impact),
        solution: cell(fields, index.solution),
        output: cell(fields, index.output),
        detectedAt: greenboneDate(cell(fields, index.timestamp)),
        epss: epssOf(cell(fields, index.epss)),
      },
      line,
    );
  };
}

/** The field at `at`, trimmed; '' when the column is absent (-1). */
function cell(fields: readonly string[], at: number): string {
  return cellAt(fields, at).trim();
}

/** The comma-separated items of the fields at `positions`, trimmed, empty ones dropped. */
function list(fields: readonly string[], ...positions: number[]): string[] {
  return positions.flatMap((at) => cell(fields, at).split(',')).flatMap((item) => item.trim() || []);
}

/** OpenVAS / Greenbone "CSV Results" export: the header on the first line, one row per result. */
export const openvasCsv: ReportFormat = {
  dialect: 'openvas-csv',
  label: 'OpenVAS / Greenbone results (CSV)',
  recognises: (head) => isOpenvasCsvHeader(head.records[0] ?? []),
  read(source, sink) {
    return readCsvTable(
      source,
      {
        isHeader: isOpenvasCsvHeader,
        preamble: (fields) =>
          isBlank(fields) ? undefined : 'expected the Greenbone header (IP, NVT Name, NVT OID, Severity)',
        rows: openvasRowMapper,
        missingHeader: 'no Greenbone results header (IP, NVT Name, NVT OID, Severity) found',
      },
      sink,
    );
  },
};
