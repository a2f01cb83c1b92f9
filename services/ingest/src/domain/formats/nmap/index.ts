import type { ReportFormat } from '../report-format.ts';
import { nmapXml } from './nmap-xml.ts';

export const nmapFormats: readonly ReportFormat[] = [nmapXml];
