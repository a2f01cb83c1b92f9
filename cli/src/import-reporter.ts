import type { FileOutcome } from './file-outcome.ts';
import type { ImportView } from './q2h-client.ts';

/** How the importer shows its work: bars on a terminal, NDJSON otherwise. */
export interface ImportReporter {
  uploadStarted(file: string, bytes: number): void;
  /** File bytes handed to the connection so far. */
  uploadProgress(sentBytes: number): void;
  importProgress(view: ImportView): void;
  fileFinished(outcome: FileOutcome): void;
  /** Removes anything drawn, before a message on stderr or at exit. */
  clear(): void;
}
