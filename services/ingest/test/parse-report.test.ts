import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { checkCoherence, worstLevel } from '../src/domain/coherence.ts';
import { recogniseReport } from '../src/domain/recognise-report.ts';
import type { ParsedFinding } from '../src/domain/report-model.ts';
import { fixture } from './fixtures.ts';
import { readReport } from './read-report.ts';

const parseFixture = (path: string) => readReport(path);

const keyOf = (f: ParsedFinding) => `${f.ip}|${f.vulnKey}|${f.port ?? ''}|${f.protocol}`;

describe('Qualys VM Scan Report CSV', () => {
  it('reads the happy path: 4 hosts, 11 findings, 9 QIDs and the declared totals', async () => {
    const { outcome, findings, vulnerabilities, dialect, encoding } = await parseFixture(
      fixture('qualys_scan_report/scan_report_4_hosts.csv'),
    );
    expect(dialect).toBe('qualys-scan-report-csv');
    expect(encoding).toBe('utf-8');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(11);
    expect(new Set(findings.map(keyOf)).size).toBe(11);
    expect(new Set(findings.map((f) => f.ip)).size).toBe(4);
    expect(vulnerabilities).toHaveLength(9);
    const bySeverity = Object.fromEntries(
      [1, 2, 3, 4, 5].map((s) => [s, findings.filter((f) => f.severity === s).length]),
    );
    expect(bySeverity).toEqual({ 5: 3, 4: 2, 3: 3, 2: 2, 1: 1 });
    const perIp = Object.fromEntries(
      [11, 12, 13, 14].map((n) => [n, findings.filter((f) => f.ip === `10.20.0.${n}`).length]),
    );
    expect(perIp).toEqual({ 11: 2, 12: 4, 13: 3, 14: 2 });
    if (outcome.kind !== 'ok') throw new Error('not ok');
    expect(outcome.declared).toMatchObject({
      totalVulns: 11,
      activeHosts: 4,
      reportDate: Date.UTC(2026, 10, 20, 8, 12, 45),
    });
    expect(worstLevel(checkCoherence(outcome.declared!, outcome.observed))).toBe('ok');
  });

  it('keeps multi-line quoted fields, doubled quotes and non-ASCII text intact, with the line each row starts on', async () => {
    const { findings, vulnerabilities } = await parseFixture(
      fixture('qualys_scan_report/scan_report_4_hosts.csv'),
    );
    const first = findings[0]!;
    expect(first).toMatchObject({ ip: '10.20.0.11', vulnKey: '91850', line: 19, port: null, severity: 5 });
    expect(first.results).toContain('\n');
    const kb = vulnerabilities.find((v) => v.vulnKey === '91850')!;
    expect(kb.solution).toContain('"Security Update Guide"');
    expect(kb.cves).toEqual(['CVE-2026-40001', 'CVE-2026-40017', 'CVE-2026-40023']);
    expect(kb).toMatchObject({
      cvssBase: 9.3,
      cvss3Base: 9.8,
      cvss3Vector: 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    });
    expect(findings[1]!.line).toBeGreaterThan(first.line + 3);
  });

  it('detects Latin-1 and reads the same findings as the UTF-8 original', async () => {
    const latin1 = await parseFixture(fixture('qualys_scan_report/scan_report_4_hosts_latin1.csv'));
    const utf8 = await parseFixture(fixture('qualys_scan_report/scan_report_4_hosts.csv'));
    expect(latin1.encoding).toBe('windows-1252');
    expect(latin1.findings.map(keyOf)).toEqual(utf8.findings.map(keyOf));
    const accented = utf8.vulnerabilities
      .flatMap((v) => [v.title, v.threat, v.solution])
      .filter((t) => [...t].some((c) => c.charCodeAt(0) > 127));
    expect(accented.length).toBeGreaterThan(0);
    const latinTexts = latin1.vulnerabilities.flatMap((v) => [v.title, v.threat, v.solution]);
    for (const text of accented) {
      // Characters outside Latin-1 became '?' in the transcoded fixture; everything else must match.
      const pattern = new RegExp(
        `^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[^\t\n\r\u0020-\u00ff]/g, '\\?')}$`,
      );
      expect(latinTexts.some((t) => pattern.test(t))).toBe(true);
    }
  });

  it('flags the incoherent report: 13 declared vs 11 rows, 10.20.0.15 missing in detail, 10.20.0.14 missing in summary', async () => {
    const { outcome } = await parseFixture(fixture('qualys_scan_report/scan_report_incoherent.csv'));
    if (outcome.kind !== 'ok') throw new Error('not ok');
    const results = checkCoherence(outcome.declared!, outcome.observed);
    expect(results).toContainEqual({
      check: 'total-vulnerabilities',
      entity: null,
      expected: '13',
      actual: '11',
      level: 'warning',
    });
    expect(results).toContainEqual(
      expect.objectContaining({ check: 'host-missing-in-detail', entity: '10.20.0.15', level: 'warning' }),
    );
    expect(results).toContainEqual(
      expect.objectContaining({ check: 'host-missing-in-summary', entity: '10.20.0.14', level: 'warning' }),
    );
    expect(worstLevel(results)).toBe('warning');
  });
});

describe('Qualys flat detection CSV', () => {
  it('reads Qualys_Sample_Report.csv as 6 findings on 4 hosts (DefectDojo says 3: it merges rows by QID)', async () => {
    // q2h keeps one finding per host × QID × port × protocol; DefectDojo makes one finding per QID and
    // turns the other hosts into endpoints (MANIFEST.md), hence 6 here against its 3.
    const { outcome, findings, vulnerabilities, dialect } = await parseFixture(
      fixture('qualys/Qualys_Sample_Report.csv'),
    );
    expect(dialect).toBe('qualys-detection-csv');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(6);
    expect(new Set(findings.map((f) => f.ip)).size).toBe(4);
    expect(vulnerabilities).toHaveLength(3);
    expect(
      findings
        .filter((f) => f.vulnKey === '105971')
        .map((f) => f.ip)
        .sort(),
    ).toEqual(['10.98.35.11', '10.98.49.209', '10.98.57.151', '10.98.57.180']);
    const asp = vulnerabilities.find((v) => v.vulnKey === '105971')!;
    expect(asp).toMatchObject({
      title: 'EOL/Obsolete Software: Microsoft ASP.NET 1.0 Detected',
      severity: 5,
    });
    expect(asp.cvss3Vector).toContain('AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H');
    expect(vulnerabilities.find((v) => v.vulnKey === '91762')!.cves).toHaveLength(23);
    expect(findings.find((f) => f.ip === '10.98.57.180')!.dns).toBe(
      'ip-10-98-57-180.eu-west-1.compute.internal',
    );
  });

  it('reads empty.csv (header only) as zero findings, not as an error', async () => {
    const { outcome, findings } = await parseFixture(fixture('qualys/empty.csv'));
    expect(outcome).toMatchObject({ kind: 'ok', rows: 0 });
    expect(findings).toHaveLength(0);
  });
});

describe('bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'q2h-parse-'));
  const original = readFileSync(fixture('qualys_scan_report/scan_report_4_hosts.csv'), 'utf8');

  it('fails a file truncated inside a quoted field, with the line where the field starts', async () => {
    const rowStart = original.indexOf('\n"10.20.0.13","', original.indexOf('"IP","DNS","NetBIOS"')) + 1;
    // Cut two characters into a quoted field of that row.
    const cut = original.indexOf('","', rowStart + 400) + 5;
    const path = join(dir, 'truncated.csv');
    writeFileSync(path, original.slice(0, cut));
    const { outcome } = await parseFixture(path);
    const expectedLine = original.slice(0, rowStart).split('\n').length;
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: expectedLine,
      reason: expect.stringContaining('quoted field never closed'),
    });
  });

  it.each([
    ['a stray LF', '\n'],
    ['a space', ' '],
    ['a blank line', '\r\n'],
  ])(
    'reads a Scan Report ending with %s after its last row as the original: 11 findings',
    async (_name, tail) => {
      const path = join(mkdtempSync(join(tmpdir(), 'q2h-tail-')), 'report.csv');
      writeFileSync(path, readFileSync(fixture('qualys_scan_report/scan_report_4_hosts.csv'), 'utf8') + tail);
      expect((await readReport(path)).outcome).toMatchObject({ kind: 'ok', rows: 11 });
    },
  );

  it('fails a detail row with a missing column, naming the line', async () => {
    const lines = original.split('\r\n');
    const header = lines.findIndex((l) => l.startsWith('"IP","DNS","NetBIOS"'));
    const path = join(dir, 'short-row.csv');
    writeFileSync(path, [...lines.slice(0, header + 1), '"10.1.1.1","x","y"', ''].join('\r\n'));
    const { outcome } = await parseFixture(path);
    expect(outcome).toMatchObject({
      kind: 'failed',
      line: header + 2,
      reason: expect.stringContaining('expected 38 fields'),
    });
  });

  it('reads a 10 MB Results field in linear time, intact', async () => {
    const lines = original.split('\r\n');
    const header = lines.findIndex((l) => l.startsWith('"IP","DNS","NetBIOS"'));
    const fields = Papa.parse<string[]>(lines.slice(0, header + 1).join('\r\n')).data[header]!;
    const results = 'line of output, with "quotes"\n'.repeat(350_000);
    const row = fields.map((name) =>
      name === 'Results'
        ? results
        : name === 'IP'
          ? '10.9.9.9'
          : name === 'QID'
            ? '12345'
            : name === 'Severity'
              ? '3'
              : 'x',
    );
    const csv = Papa.unparse([row], { quotes: true, newline: '\r\n', header: false });
    const path = join(dir, 'huge-results.csv');
    writeFileSync(path, `${lines.slice(0, header + 1).join('\r\n')}\r\n${csv}\r\n`);
    const started = performance.now();
    const { outcome, findings } = await parseFixture(path);
    expect(outcome).toMatchObject({ kind: 'ok', rows: 1 });
    expect(findings[0]!.results).toBe(results);
    expect(performance.now() - started).toBeLessThan(10_000); // quadratic re-parsing took minutes
  });

  it('reads a CRLF split across two read chunks right after a closing quote', async () => {
    const lines = original.split('\r\n');
    const header = lines.findIndex((l) => l.startsWith('"IP","DNS","NetBIOS"'));
    const fields = Papa.parse<string[]>(lines[header]!).data[0]!;
    const headText = `${lines.slice(0, header + 1).join('\r\n')}\r\n`;
    const rowWith = (results: string) =>
      Papa.unparse(
        [
          fields.map(
            (name) => ({ IP: '10.9.9.9', QID: '12345', Severity: '3', Results: results })[name] ?? 'x',
          ),
        ],
        {
          quotes: true,
          newline: '\r\n',
        },
      );
    // Pad the first row so that the first 48 KiB read ends with its closing quote and the \r of its CRLF.
    const padding = 48 * 1024 - 1 - Buffer.byteLength(headText) - Buffer.byteLength(rowWith(''));
    const csv = `${headText}${rowWith('y'.repeat(padding))}\r\n${rowWith('second')}\r\n`;
    expect(csv.slice(48 * 1024 - 2, 48 * 1024)).toBe('"\r'); // the first read ends inside the CRLF
    const path = join(dir, 'crlf-boundary.csv');
    writeFileSync(path, csv);
    const { outcome, findings } = await parseFixture(path);
    expect(outcome).toMatchObject({ kind: 'ok', rows: 2 });
    expect(findings[1]!.results).toBe('second');
  });

  it('does not recognise a file that is not a scanner report', () => {
    expect(recogniseReport(Buffer.from('name,email,phone\nann,a@example.com,1\n'))).toMatchObject({
      kind: 'rejected',
      slug: 'unknown-dialect',
    });
  });
});
