import { describe, expect, it } from 'vitest';
import {
  estimateSecondsLeft,
  formatBytes,
  formatCount,
  formatDuration,
  RateMeter,
  renderBar,
  renderProgressLine,
} from '../src/progress-format.ts';

describe('progress formatting', () => {
  it('given byte counts, then they read in binary units with the server labels', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(4096 * 1024 * 1024)).toBe('4.0 GB');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150 MB');
  });

  it('given row counts, then large ones are compact', () => {
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_345)).toBe('12.3K');
    expect(formatCount(4_560_000)).toBe('4.6M');
  });

  it('given durations, then seconds, minutes and hours stay short', () => {
    expect(formatDuration(0.4)).toBe('0s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
  });

  it('given a rate, then the ETA is what is left at that rate; without one there is none', () => {
    expect(estimateSecondsLeft(250, 1000, 50)).toBe(15);
    expect(estimateSecondsLeft(1000, 1000, undefined)).toBe(0);
    expect(estimateSecondsLeft(10, 1000, undefined)).toBeUndefined();
    expect(estimateSecondsLeft(10, 0, 5)).toBeUndefined();
  });

  it('given samples over time, then the rate covers the last window only', () => {
    const meter = new RateMeter(5);
    meter.observe(0, 0);
    meter.observe(0.2, 100);
    expect(meter.perSecond()).toBeUndefined(); // under half a second of history
    meter.observe(1, 100);
    expect(meter.perSecond()).toBe(100);
    // Slow start, then fast: after the window has moved on, the old pace no longer counts.
    for (let t = 2; t <= 12; t++) meter.observe(t, 100 + (t - 1) * 1000);
    expect(meter.perSecond()).toBeCloseTo(1000, 0);
  });

  it('given a fraction, then the bar fills that share of its cells and clamps outside 0..1', () => {
    expect(renderBar(0.5, 10)).toBe('█████░░░░░');
    expect(renderBar(0, 4)).toBe('░░░░');
    expect(renderBar(2, 4)).toBe('████');
    expect(renderBar(Number.NaN, 4)).toBe('░░░░');
  });

  it('given a line, then label, bar, percentage, details and ETA fit in the terminal width', () => {
    const line = renderProgressLine(
      {
        label: 'report.csv import',
        done: 40,
        total: 100,
        details: ['12.3K rows', '4.5K rows/s'],
        secondsLeft: 75,
      },
      100,
    );
    expect(line).toMatch(
      /^report\.csv import {2}[█░]+ {2} 40% {2}12\.3K rows {2}4\.5K rows\/s {2}ETA 1m15s$/,
    );
    expect(line.length).toBeLessThan(100);
  });

  it('given a narrow terminal, then the label is shortened from the left and the line still fits', () => {
    const line = renderProgressLine(
      {
        label: 'a-very-long-report-name-from-the-scanner-2026-11-20.csv upload',
        done: 1,
        total: 2,
        details: ['1.0 MB/2.0 MB'],
        secondsLeft: undefined,
      },
      60,
    );
    expect(line.length).toBeLessThan(60);
    expect(line).toMatch(/^….*upload {2}[█░]{10,} {2} 50% {2}1\.0 MB\/2\.0 MB {2}ETA –$/);
  });
});
