import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import type { FileOutcome } from './file-outcome.ts';
import type { ImportReporter } from './import-reporter.ts';
import {
  estimateSecondsLeft,
  formatBytes,
  formatCount,
  formatDuration,
  RateMeter,
  renderProgressLine,
} from './progress-format.ts';
import type { ImportView } from './q2h-client.ts';

/** Redraws at most this often: an upload reports every 64 KiB chunk, thousands of times a second. */
const REDRAW_MS = 100;
const CLEAR_LINE = '\r\x1b[K';

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The one-line summary printed on stdout when a file is finished. */
export function summaryLine(outcome: FileOutcome): string {
  const { file, id, error } = outcome;
  const took = outcome.seconds < 60 ? `${outcome.seconds.toFixed(1)}s` : formatDuration(outcome.seconds);
  const counts =
    outcome.findings === null
      ? ''
      : `, ${counted(outcome.findings, 'finding')}, ${counted(outcome.hosts ?? 0, 'host')}, coherence ${outcome.coherenceLevel}`;
  switch (outcome.status) {
    case 'refused':
      return `✗ ${file}: refused (HTTP ${error?.httpStatus}): ${error?.reason}`;
    case 'failed': {
      const where = error?.line === undefined ? '' : ` at line ${error.line}`;
      return `✗ ${file}: failed${where}: ${error?.reason ?? 'no reason given'} (import ${id}, ${took})`;
    }
    case 'retracted':
      return `✗ ${file}: import ${id} was retracted (${took})`;
    case 'done':
      return outcome.duplicate
        ? `= ${file}: already imported as ${id}${counts}; nothing counted twice`
        : `✓ ${file}: done${counts} (import ${id}, ${took})`;
    default:
      return outcome.duplicate
        ? `= ${file}: already imported as ${id} (${outcome.status}); nothing counted twice`
        : `↑ ${file}: ${outcome.status} as import ${id} (${took})`;
  }
}

/** For a person at a terminal: progress bars redrawn in place on stderr, one summary per file on stdout. */
export function terminalReporter(stderr: Writable & { columns?: number }, stdout: Writable): ImportReporter {
  let label = '';
  let total = 0;
  let lastDraw = 0;
  let drawn = false;
  let rate = new RateMeter();
  let rowRate = new RateMeter();
  let phase: 'upload' | 'import' = 'upload';

  const seconds = () => performance.now() / 1000;
  const draw = (line: string, force: boolean) => {
    const now = performance.now();
    if (!force && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    drawn = true;
    stderr.write(`${CLEAR_LINE}${line}`);
  };
  // Some pseudo-terminals (CI runners, `script`, `docker exec -t`) report 0 columns: draw for 80 then.
  const columns = () => stderr.columns || 80;

  return {
    uploadStarted(file, bytes) {
      label = basename(file);
      total = bytes;
      phase = 'upload';
      rate = new RateMeter();
      rate.observe(seconds(), 0);
      this.uploadProgress(0);
    },
    uploadProgress(sent) {
      const now = seconds();
      rate.observe(now, sent);
      const perSecond = rate.perSecond();
      const line = renderProgressLine(
        {
          label: `${label} upload`,
          done: sent,
          total,
          details: [
            `${formatBytes(sent)}/${formatBytes(total)}`,
            perSecond === undefined ? '' : `${formatBytes(perSecond)}/s`,
          ].filter(Boolean),
          secondsLeft: estimateSecondsLeft(sent, total, perSecond),
        },
        columns(),
      );
      draw(line, sent === 0 || sent === total);
    },
    importProgress(view: ImportView) {
      const now = seconds();
      if (phase === 'upload') {
        phase = 'import';
        rate = new RateMeter();
        rowRate = new RateMeter();
      }
      // Bytes give the ETA (rows per byte vary within a report); rows are what a person recognises.
      rate.observe(now, view.bytesDone);
      rowRate.observe(now, view.rowsDone);
      const bytesPerSecond = rate.perSecond();
      const rowsPerSecond = rowRate.perSecond();
      const line = renderProgressLine(
        {
          label: `${label} import`,
          done: view.status === 'done' ? view.bytesTotal || 1 : view.bytesDone,
          total: view.status === 'done' ? view.bytesTotal || 1 : view.bytesTotal,
          details: [
            `${formatCount(view.rowsDone)} rows`,
            rowsPerSecond === undefined ? '' : `${formatCount(Math.round(rowsPerSecond))} rows/s`,
          ].filter(Boolean),
          secondsLeft: estimateSecondsLeft(view.bytesDone, view.bytesTotal, bytesPerSecond),
        },
        columns(),
      );
      draw(line, view.status !== 'processing');
    },
    fileFinished(outcome) {
      this.clear();
      stdout.write(`${summaryLine(outcome)}\n`);
    },
    clear() {
      if (drawn) stderr.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
