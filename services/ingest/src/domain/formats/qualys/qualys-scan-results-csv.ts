import type { DeclaredTotals } from '../../report-model.ts';
import { readCsvTable } from '../csv-table.ts';
import type { ReportFormat } from '../report-format.ts';
import { isQualysDetailHeader, qualysDate, qualysRowMapper, toIntOrNull } from './qualys-columns.ts';

/** The header of the run table a Scan Results export starts with (one row: the scan that produced it). */
function isRunTableHeader(fields: readonly string[]): boolean {
  return fields[0] === 'Launch Date' && fields[1] === 'Active Hosts' && fields[2] === 'Total Hosts';
}

/** Reads the run table before the detail header: its launch date and the hosts the scan found alive. */
class ScanRun {
  readonly declared: DeclaredTotals = {
    reportDate: null,
    totalVulns: null,
    activeHosts: null,
    bySeverity: new Map(),
    perIp: new Map(),
  };
  private header: readonly string[] | undefined;

  accept(fields: readonly string[]): void {
    if (isRunTableHeader(fields)) {
      this.header = fields;
      return;
    }
    const header = this.header;
    if (!header || fields.every((f) => f.trim() === '')) return;
    const cell = (name: string) => fields[header.indexOf(name)] ?? '';
    this.declared.reportDate = qualysDate(cell('Launch Date'));
    this.declared.activeHosts = toIntOrNull(cell('Active Hosts'));
    this.header = undefined; // one row: the title and company lines around it say nothing to check
  }
}

/**
 * Qualys Scan Results CSV (a scan's raw results, "Download" in Scans): an optional title line, the run
 * table (Launch Date, Active Hosts…), then the detail table of the Scan Report. Its rows carry no
 * detection dates: the launch date is when they were last detected.
 */
export const qualysScanResultsCsv: ReportFormat = {
  dialect: 'qualys-scan-results-csv',
  label: 'Qualys Scan Results (CSV)',
  recognises: (head) => head.records.some(isRunTableHeader),
  read(source, sink) {
    const run = new ScanRun();
    return readCsvTable(
      source,
      {
        isHeader: isQualysDetailHeader,
        preamble: (fields) => void run.accept(fields),
        rows: (header) => {
          const mapRow = qualysRowMapper(header);
          const launched = run.declared.reportDate;
          return (fields, line) => {
            const row = mapRow(fields, line);
            if (row.kind !== 'finding' || row.finding.lastDetected !== null) return row;
            const finding = Object.assign({}, row.finding, { lastDetected: launched });
            return { kind: 'finding', finding, vulnerability: row.vulnerability };
          };
        },
        declared: () => run.declared,
        missingHeader: 'no Qualys detail table (header IP, QID, Title, Severity) after the scan run table',
      },
      sink,
    );
  },
};
