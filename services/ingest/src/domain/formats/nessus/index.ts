import type { ReportFormat } from '../report-format.ts';
import { nessusCsv, tenableScCsv } from './nessus-csv-formats.ts';
import { nessusXml } from './nessus-xml.ts';

export const nessusFormats: readonly ReportFormat[] = [nessusXml, nessusCsv, tenableScCsv];
