import type { ReportFormat } from '../report-format.ts';
import { nucleiJsonExport, nucleiJsonLines } from './nuclei-formats.ts';

export const nucleiFormats: readonly ReportFormat[] = [nucleiJsonLines, nucleiJsonExport];
