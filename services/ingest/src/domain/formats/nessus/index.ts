import type { ReportFormat } from '../report-format.ts';

export const nessusFormats: readonly ReportFormat[] = [];
