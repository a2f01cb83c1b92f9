import { isBlank, readCsvTable } from '../csv-table.ts';
import type { ReportFormat } from '../report-format.ts';
import { isQualysDetailHeader, qualysRepeatedColumns, qualysRowMapper } from './qualys-columns.ts';
import { isScanReportTitle, ScanReportPreamble } from './qualys-scan-report.ts';

const MISSING_DETAIL_HEADER = 'no Qualys detail table (header IP, QID, Title, Severity) found';

/** Qualys VM Scan Report CSV: a multi-section preamble (checked against the rows), then the detail table. */
export const qualysScanReportCsv: ReportFormat = {
  dialect: 'qualys-scan-report-csv',
  label: 'Qualys VM Scan Report (CSV)',
  recognises: (head) => isScanReportTitle(head.records[0] ?? []),
  read(source, sink) {
    const preamble = new ScanReportPreamble();
    return readCsvTable(
      source,
      {
        isHeader: isQualysDetailHeader,
        preamble: (fields) => void preamble.accept(fields),
        rows: qualysRowMapper,
        repeated: qualysRepeatedColumns,
        declared: () => preamble.declared,
        missingHeader: MISSING_DETAIL_HEADER,
      },
      sink,
    );
  },
};

/** The flat Qualys detection CSV: the detail header on the first line. */
export const qualysDetectionCsv: ReportFormat = {
  dialect: 'qualys-detection-csv',
  label: 'Qualys detection list (CSV)',
  recognises: (head) => isQualysDetailHeader(head.records[0] ?? []),
  read(source, sink) {
    return readCsvTable(
      source,
      {
        isHeader: isQualysDetailHeader,
        preamble: (fields) =>
          isBlank(fields) ? undefined : 'expected the Qualys detail header (IP, QID, Title, Severity)',
        rows: qualysRowMapper,
        repeated: qualysRepeatedColumns,
        missingHeader: MISSING_DETAIL_HEADER,
      },
      sink,
    );
  },
};
