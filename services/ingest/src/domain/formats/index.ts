import { nessusFormats } from './nessus/index.ts';
import { nmapFormats } from './nmap/index.ts';
import { nucleiFormats } from './nuclei/index.ts';
import { openvasFormats } from './openvas/index.ts';
import { qualysFormats } from './qualys/index.ts';
import type { ReportFormat, ReportHead } from './report-format.ts';

export type { FindingsSink, ReadOutcome, ReportFormat, ReportHead, ReportSource } from './report-format.ts';

/** Every format q2h reads, in the order they are tried on a file's head (most specific first). */
export const reportFormats: readonly ReportFormat[] = [
  ...qualysFormats,
  ...nessusFormats,
  ...openvasFormats,
  ...nucleiFormats,
  ...nmapFormats,
];

export function formatRecognising(head: ReportHead): ReportFormat | undefined {
  return reportFormats.find((format) => format.recognises(head));
}

export function formatOf(dialect: string): ReportFormat | undefined {
  return reportFormats.find((format) => format.dialect === dialect);
}
