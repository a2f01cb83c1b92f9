import type { CoherenceLevel, ImportStatus } from './q2h-client.ts';

/** What became of one file: the NDJSON line of --json, the summary line on a terminal. */
export interface FileOutcome {
  file: string;
  /** null when the server refused the upload. */
  id: string | null;
  /** The same content was imported before: `id` is that earlier import, nothing was counted twice. */
  duplicate: boolean;
  /** The import's last known status, or `refused` when the upload was not accepted. */
  status: ImportStatus | 'refused';
  /** null until known (refused, or --no-wait before the import finished). */
  findings: number | null;
  hosts: number | null;
  coherenceLevel: CoherenceLevel | null;
  /** Why the import failed (line of the report when known) or why the upload was refused (HTTP status). */
  error: { line?: number; reason: string; httpStatus?: number } | null;
  /** From the start of the upload to the last status seen. */
  seconds: number;
}

/**
 * Whether an outcome counts as a success: a finished import (coherence warnings included: the report
 * was read, it only disagrees with its own preamble), or with --no-wait one the server accepted.
 */
export function succeeded(outcome: FileOutcome, waited: boolean): boolean {
  if (outcome.status === 'done') return true;
  return !waited && (outcome.status === 'accepted' || outcome.status === 'processing');
}
