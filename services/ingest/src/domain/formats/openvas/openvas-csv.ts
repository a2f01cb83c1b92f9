import type { RowResult } from '../../report-model.ts';
import { isBlank, readCsvTable } from '../csv-table.ts';
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
    const get = (column: Column): string => (index[column] >= 0 ? (fields[index[column]] ?? '').trim() : '');
    const list = (...columns: Column[]) =>
      columns.flatMap((column) => get(column).split(',')).flatMap((item) => item.trim() || []);
    const port = get('port');
    return openvasFinding(
      {
        host: get('ip'),
        hostname: get('hostname'),
        port: /^\d+$/.test(port) ? Number(port) : null,
        protocol: get('protocol').toLowerCase(),
        threat: get('severity'),
        score: get('cvss'),
        oid: get('oid'),
        title: get('title'),
        family: '',
        cves: list('cves'),
        references: list('bids', 'certs', 'otherReferences'),
        // The CSV gives the score without its vector; Greenbone scores with CVSS v3 where the NVT has
        // one (since GVM 21.04), so q2h files it as v3, as DefectDojo does (report_detail_v2.csv: 9.8).
        cvss: { ...NO_CVSS, cvss3Base: toNumber(get('cvss')) },
        summary: get('summary'),
        insight: get('insight'),
        impact: get('impact'),
        solution: get('solution'),
        output: get('output'),
        detectedAt: greenboneDate(get('timestamp')),
        epss: epssOf(get('epss')),
      },
      line,
    );
  };
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
