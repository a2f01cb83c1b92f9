import type { ReportFormat } from '../report-format.ts';

export const nucleiFormats: readonly ReportFormat[] = [];
