import type { ReportFormat } from '../report-format.ts';

export const openvasFormats: readonly ReportFormat[] = [];
