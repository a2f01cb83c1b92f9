import type { ReportFormat } from '../report-format.ts';
import { qualysDetectionCsv, qualysScanReportCsv } from './qualys-csv-formats.ts';

export const qualysFormats: readonly ReportFormat[] = [qualysScanReportCsv, qualysDetectionCsv];
