import { isQualysDetailHeader } from './qualys-columns.ts';
import { isScanReportTitle } from './qualys-scan-report.ts';

export type Dialect = 'qualys-scan-report-csv' | 'qualys-detection-csv';

export type SniffResult = { kind: 'ok'; dialect: Dialect } | { kind: 'unknown'; reason: string };

/** Recognises a report from its first record (content, never the file name). */
export function sniffDialect(firstRecord: readonly string[]): SniffResult {
  if (isScanReportTitle(firstRecord)) return { kind: 'ok', dialect: 'qualys-scan-report-csv' };
  if (isQualysDetailHeader(firstRecord)) return { kind: 'ok', dialect: 'qualys-detection-csv' };
  const shown = firstRecord.slice(0, 4).join(',').slice(0, 80);
  return {
    kind: 'unknown',
    reason: `not a recognised scanner report: the first line (${JSON.stringify(shown)}) is neither a Qualys Scan Report title nor a Qualys detection header (IP, QID, Title, Severity)`,
  };
}
