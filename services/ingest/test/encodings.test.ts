import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from './fixtures.ts';
import { readReport } from './read-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'q2h-encodings-'));
const text = readFileSync(fixture('qualys_scan_report/scan_report_4_hosts.csv'), 'utf8');

function utf16(name: string, bigEndian: boolean): string {
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  const bytes = bigEndian ? Buffer.from(le).swap16() : le;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('encodings detected from the bytes', () => {
  it.each([
    ['UTF-16 LE with BOM', false, 'utf-16le'],
    ['UTF-16 BE with BOM', true, 'utf-16be'],
  ])(
    'reads a Scan Report saved as %s as the UTF-8 one: 11 findings, same texts',
    async (_name, bigEndian, encoding) => {
      const utf8 = await readReport(fixture('qualys_scan_report/scan_report_4_hosts.csv'));
      const other = await readReport(utf16(`report-${encoding}.csv`, bigEndian));
      expect(other.encoding).toBe(encoding);
      expect(other.outcome).toMatchObject({ kind: 'ok', rows: 11 });
      expect(other.findings.map((f) => f.results)).toEqual(utf8.findings.map((f) => f.results));
      expect(other.vulnerabilities.map((v) => v.title)).toEqual(utf8.vulnerabilities.map((v) => v.title));
    },
  );

  it('reads a report whose delimiter is a semicolon (Excel in European locales)', async () => {
    const path = join(dir, 'semicolon.csv');
    // Every field of the fixture is quoted: the separators are exactly the '","' between fields.
    writeFileSync(path, text.replaceAll('","', '";"'));
    const { outcome } = await readReport(path);
    expect(outcome).toMatchObject({ kind: 'ok', rows: 11 });
  });
});
