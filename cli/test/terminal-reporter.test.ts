import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FileOutcome } from '../src/file-outcome.ts';
import { summaryLine, terminalReporter } from '../src/terminal-reporter.ts';

function capture(columns = 100) {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { columns, chunks, text: () => chunks.join('') });
}

const done: FileOutcome = {
  file: 'scans/report.csv',
  id: '0123456789abcdef01234567',
  duplicate: false,
  status: 'done',
  findings: 11,
  hosts: 4,
  coherenceLevel: 'ok',
  error: null,
  seconds: 1.234,
};

describe('terminal output', () => {
  it('given each kind of outcome, then its summary line says what happened', () => {
    expect(summaryLine(done)).toBe(
      '✓ scans/report.csv: done, 11 findings, 4 hosts, coherence ok (import 0123456789abcdef01234567, 1.2s)',
    );
    expect(summaryLine({ ...done, duplicate: true })).toBe(
      '= scans/report.csv: already imported as 0123456789abcdef01234567, 11 findings, 4 hosts, coherence ok; nothing counted twice',
    );
    expect(
      summaryLine({
        ...done,
        status: 'failed',
        findings: 3,
        error: { line: 42, reason: 'unterminated quoted field' },
      }),
    ).toBe(
      '✗ scans/report.csv: failed at line 42: unterminated quoted field (import 0123456789abcdef01234567, 1.2s)',
    );
    expect(
      summaryLine({
        ...done,
        id: null,
        status: 'refused',
        findings: null,
        hosts: null,
        coherenceLevel: null,
        error: { reason: 'report.csv: not a recognised report', httpStatus: 422 },
      }),
    ).toBe('✗ scans/report.csv: refused (HTTP 422): report.csv: not a recognised report');
    expect(summaryLine({ ...done, findings: 1, hosts: 1 })).toBe(
      '✓ scans/report.csv: done, 1 finding, 1 host, coherence ok (import 0123456789abcdef01234567, 1.2s)',
    );
    expect(
      summaryLine({ ...done, status: 'accepted', findings: null, hosts: null, coherenceLevel: null }),
    ).toBe('↑ scans/report.csv: accepted as import 0123456789abcdef01234567 (1.2s)');
  });

  it('given an upload then an import, then bars are redrawn in place on stderr and the summary goes to stdout', () => {
    const stderr = capture(100);
    const stdout = capture();
    const reporter = terminalReporter(stderr, stdout);
    reporter.uploadStarted('scans/report.csv', 2048);
    reporter.uploadProgress(2048);
    reporter.importProgress({
      id: done.id!,
      status: 'done',
      rowsDone: 11,
      bytesDone: 2048,
      bytesTotal: 2048,
      findings: 11,
      hosts: 4,
      coherenceLevel: 'ok',
    });
    reporter.fileFinished(done);
    const CLEAR = '\r\x1b[K';
    for (const chunk of stderr.chunks) expect(chunk.startsWith(CLEAR)).toBe(true);
    const drawn = stderr.chunks.map((chunk) => chunk.slice(CLEAR.length));
    expect(drawn[0]).toMatch(/^report\.csv upload {2}░+ {2} {2}0% {2}0 B\/2\.0 KB {2}ETA –$/);
    expect(drawn[1]).toMatch(/^report\.csv upload {2}█+ {2}100% {2}2\.0 KB\/2\.0 KB {2}ETA 0s$/);
    expect(drawn[2]).toMatch(/^report\.csv import {2}█+ {2}100% {2}11 rows {2}ETA 0s$/);
    expect(drawn[3]).toBe(''); // the bar is gone before the summary
    for (const line of drawn) expect(line.length).toBeLessThan(100);
    expect(stdout.text()).toBe(`${summaryLine(done)}\n`);
  });

  it('given a terminal that reports 0 columns, then the bars are drawn 80 wide, not blank', () => {
    const stderr = capture(0);
    const reporter = terminalReporter(stderr, capture());
    reporter.uploadStarted('scans/report.csv', 2048);
    reporter.uploadProgress(2048);
    const drawn = stderr.chunks.map((chunk) => chunk.slice('\r\x1b[K'.length));
    expect(drawn[1]).toMatch(/^report\.csv upload {2}█+ {2}100% {2}2\.0 KB\/2\.0 KB {2}ETA 0s$/);
    expect(drawn[1]!.length).toBeLessThanOrEqual(80);
    expect(drawn[1]!.length).toBeGreaterThan(60);
  });
});
