import type { ReportFormat } from '../report-format.ts';

export const nmapFormats: readonly ReportFormat[] = [];
