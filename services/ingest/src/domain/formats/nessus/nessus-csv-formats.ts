import { ConsecutiveRepeats } from '../consecutive-repeats.ts';
import { isBlank, readCsvTable } from '../csv-table.ts';
import type { FindingsSink, ReadOutcome, ReportFormat, ReportSource } from '../report-format.ts';
import { isNessusCsvHeader, isTenableScCsvHeader, nessusRowMapper } from './nessus-csv-columns.ts';

/** Nessus Professional / Manager CSV export (default 13 columns or all columns), header on the first line. */
export const nessusCsv: ReportFormat = {
  dialect: 'nessus-csv',
  label: 'Nessus scan (CSV)',
  recognises: (head) => isNessusCsvHeader(head.records[0] ?? []),
  read: (source, sink) =>
    readNessusTable(source, sink, isNessusCsvHeader, 'the Nessus header (Plugin ID, Risk, Host, Name)'),
};

/** Tenable.sc (SecurityCenter) vulnerability CSV export, header on the first line. */
export const tenableScCsv: ReportFormat = {
  dialect: 'tenable-sc-csv',
  label: 'Tenable.sc vulnerabilities (CSV)',
  recognises: (head) => isTenableScCsvHeader(head.records[0] ?? []),
  read: (source, sink) =>
    readNessusTable(
      source,
      sink,
      isTenableScCsvHeader,
      'the Tenable.sc header (Plugin, Plugin Name, Severity, IP Address)',
    ),
};

async function readNessusTable(
  source: ReportSource,
  sink: FindingsSink,
  isHeader: (fields: readonly string[]) => boolean,
  header: string,
): Promise<ReadOutcome> {
  // The Nessus export writes one row per CVE: the rows of one finding are merged.
  const repeats = new ConsecutiveRepeats(sink);
  const outcome = await readCsvTable(
    source,
    {
      isHeader,
      preamble: (fields) => (isBlank(fields) ? undefined : `expected ${header} on the first line`),
      rows: nessusRowMapper,
      missingHeader: `no ${header} found`,
    },
    repeats,
  );
  return repeats.finish(outcome);
}
