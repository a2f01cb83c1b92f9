/** Pure formatting of progress lines: no I/O, so the bar and the ETA can be tested as strings. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/** Binary multiples with the server's labels (Q2H_MAX_UPLOAD_MB counts 1024 × 1024 bytes). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** 950, 12.3K, 4.5M: row counts of multi-GB reports stay short. */
export function formatCount(count: number): string {
  return compact.format(count);
}

/** 0s, 42s, 3m05s, 1h02m: ETA and elapsed times. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Rate of a growing count over the last few seconds: responsive when the pace changes (parsing speeds up
 * once the upload has ended, since ingest parses while the file arrives), steadier than chunk to chunk.
 */
export class RateMeter {
  private readonly samples: { at: number; value: number }[] = [];

  constructor(private readonly windowSeconds = 5) {}

  observe(atSeconds: number, value: number): void {
    this.samples.push({ at: atSeconds, value });
    while (this.samples.length > 2 && atSeconds - this.samples[1]!.at >= this.windowSeconds) {
      this.samples.shift();
    }
  }

  /** Units per second, or undefined under half a second of history: one chunk says little. */
  perSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 0.5) return undefined;
    return Math.max(0, (last.value - first.value) / (last.at - first.at));
  }
}

/** Seconds left at `perSecond`, or undefined when there is no rate to go on. */
export function estimateSecondsLeft(
  done: number,
  total: number,
  perSecond: number | undefined,
): number | undefined {
  if (total <= 0) return undefined;
  if (done >= total) return 0;
  if (!perSecond) return undefined;
  return (total - done) / perSecond;
}

/** A bar of `width` cells for a fraction clamped to 0..1. */
export function renderBar(fraction: number, width: number): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export interface ProgressLine {
  /** Shown first, shortened from the left when the terminal is narrow. */
  label: string;
  done: number;
  total: number;
  /** Texts after the percentage, e.g. "12.3K rows", "45.1K rows/s". */
  details: readonly string[];
  secondsLeft: number | undefined;
}

const MIN_BAR = 10;
const MAX_BAR = 40;

/** One line that fits in `columns`: label, bar, percentage, details, ETA. */
export function renderProgressLine(line: ProgressLine, columns: number): string {
  const percent = line.total > 0 ? Math.min(100, Math.floor((line.done / line.total) * 100)) : 0;
  const eta = line.secondsLeft === undefined ? 'ETA –' : `ETA ${formatDuration(line.secondsLeft)}`;
  const tail = [`${String(percent).padStart(3)}%`, ...line.details, eta].join('  ');
  // Keep one column free: writing the last column makes some terminals wrap before the \r.
  const room = columns - 1 - tail.length - 4; // two separators of two spaces
  const barWidth = Math.max(MIN_BAR, Math.min(MAX_BAR, room - Math.min(line.label.length, 30)));
  const labelRoom = Math.max(0, room - barWidth);
  const label = line.label.length <= labelRoom ? line.label : `…${line.label.slice(-(labelRoom - 1))}`;
  const text = `${labelRoom > 1 ? `${label}  ` : ''}${renderBar(line.total > 0 ? line.done / line.total : 0, barWidth)}  ${tail}`;
  return text.length < columns ? text : text.slice(0, Math.max(0, columns - 1));
}
