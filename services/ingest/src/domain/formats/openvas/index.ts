import type { ReportFormat } from '../report-format.ts';
import { openvasCsv } from './openvas-csv.ts';
import { openvasXml } from './openvas-xml.ts';

export const openvasFormats: readonly ReportFormat[] = [openvasXml, openvasCsv];
