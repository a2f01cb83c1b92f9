import type { DeclaredTotals, EmittedFinding } from '../report-model.ts';
import type { TextEncoding } from '../text-encoding.ts';

/** The start of a file, decoded: what formats recognise a report by (content, never the file name). */
export interface ReportHead {
  /** Up to the first 64 KiB, decoded with the detected encoding, BOM removed. */
  readonly text: string;
  /** The first CSV records of `text` (delimiter detected: comma, semicolon or tab); empty when not CSV-like. */
  readonly records: readonly (readonly string[])[];
}

/** The stored file a reader streams. */
export interface ReportSource {
  readonly path: string;
  readonly encoding: TextEncoding;
  /** For a file still being uploaded: its size once known (the reader follows the file until then). */
  readonly finalSize?: () => number | undefined;
}

/** Where a reader hands its findings, a chunk at a time; resolves when they are safe ('stop': end early). */
export interface FindingsSink {
  accept(findings: readonly EmittedFinding[], bytesDone: number): Promise<'continue' | 'stop'>;
}

export type ReadOutcome =
  | { kind: 'ok'; bytes: number; declared: DeclaredTotals | null }
  /** `line`: 1-based line of the file where reading failed, when known. */
  | { kind: 'failed'; line: number | null; reason: string }
  | { kind: 'stopped' };

/**
 * One report format (a scanner's export dialect): how to recognise it and how to stream its findings.
 * Readers keep memory bounded by a chunk plus per-host/per-vulnerability state, whatever the file size.
 */
export interface ReportFormat {
  /** Stable id stored with the import, e.g. 'qualys-scan-report-csv', 'nessus-xml'. */
  readonly dialect: string;
  /** Short name for people, e.g. 'Qualys VM Scan Report (CSV)'. */
  readonly label: string;
  recognises(head: ReportHead): boolean;
  read(source: ReportSource, sink: FindingsSink): Promise<ReadOutcome>;
}
