import type { Writable } from 'node:stream';
import type { FileOutcome } from './file-outcome.ts';
import type { ImportReporter } from './import-reporter.ts';

/** For pipes and CI: no bars, one JSON object per file on stdout, written as soon as the file is finished. */
export function ndjsonReporter(stdout: Writable): ImportReporter {
  return {
    uploadStarted() {},
    uploadProgress() {},
    importProgress() {},
    fileFinished(outcome: FileOutcome) {
      stdout.write(`${JSON.stringify(outcome)}\n`);
    },
    clear() {},
  };
}
