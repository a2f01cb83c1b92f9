import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as csvParseSync } from 'csv-parse/sync';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DETAIL_HEADER,
  type GenerateResult,
  generateScanReport,
  parseSize,
  planScanReport,
  scanReportStream,
} from './generate-scan-report.ts';
import { csvParseCeiling, papaparseCeiling } from './parse-ceiling.ts';

const fixture = fileURLToPath(
  new URL('../../../shared/fixtures/scans/qualys_scan_report/scan_report_4_hosts.csv', import.meta.url),
);

interface Sections {
  totals: string[];
  assetGroup: string[];
  perIp: string[][];
  detailHeader: string[];
  detail: string[][];
}

function sections(records: string[][]): Sections {
  const at = (pred: (r: string[]) => boolean): number => {
    const i = records.findIndex(pred);
    expect(i).toBeGreaterThanOrEqual(0);
    return i;
  };
  const ag = at((r) => r[0] === 'Asset Groups');
  const totals = at((r) => r[0] === 'Total Vulnerabilities');
  const perIp = at((r) => r[0] === 'IP' && r[1] === 'Total Vulnerabilities');
  const detail = at((r) => r[0] === 'IP' && r[1] === 'DNS' && r[2] === 'NetBIOS');
  return {
    assetGroup: records[ag + 1]!,
    totals: records[totals + 1]!,
    perIp: records.slice(perIp + 1, detail),
    detailHeader: records[detail]!,
    detail: records.slice(detail + 1),
  };
}

describe('generateScanReport', () => {
  let dir: string;
  let file: string;
  let res: GenerateResult;
  let text: string;
  let records: string[][];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'q2h-bench-'));
    file = join(dir, 'report.csv');
    res = await generateScanReport({ targetBytes: 300 * 1024, seed: 7, out: file });
    text = await readFile(file, 'utf8');
    records = csvParseSync(text, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes about the target size, and exactly the bytes it reports', async () => {
    const { size } = await stat(file);
    expect(size).toBe(res.bytes);
    expect(size).toBeGreaterThan(300 * 1024 * 0.9);
    expect(size).toBeLessThanOrEqual(300 * 1024);
    expect(res.rows).toBeGreaterThan(30);
    expect(res.hosts).toBeGreaterThan(1);
  });

  it('has the fixture layout: preamble lines, CRLF records, the detail header copied from the fixture', async () => {
    const fixtureRecords = csvParseSync(await readFile(fixture, 'utf8'), {
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
    const s = sections(records);
    expect(s.detailHeader).toEqual(sections(fixtureRecords).detailHeader);
    expect(s.detailHeader).toEqual([...DETAIL_HEADER]);
    expect(records[0]![0]).toBe('Vulnerability Scan Report');
    expect(text.startsWith('"Vulnerability Scan Report","')).toBe(true);
    // Every record ends with CRLF; line breaks inside quoted fields are bare LF.
    expect(text.endsWith('"\r\n')).toBe(true);
    expect(text.split('\r').length - 1).toBe(res.records + 5);
    for (const row of s.detail) expect(row).toHaveLength(DETAIL_HEADER.length);
  });

  it('declares a total, active hosts and per-IP summary that match the detail rows exactly', () => {
    const s = sections(records);
    const col = (name: string): number => DETAIL_HEADER.indexOf(name as (typeof DETAIL_HEADER)[number]);
    expect(Number(s.totals[0])).toBe(s.detail.length);
    expect(res.declaredTotal).toBe(s.detail.length);
    expect(res.rows).toBe(s.detail.length);
    expect(Number(s.assetGroup[3])).toBe(res.hosts);

    const perIpDetail = new Map<string, { n: number; sev: number }>();
    const bySeverity = [0, 0, 0, 0, 0];
    const byStatus = new Map<string, number>();
    for (const row of s.detail) {
      const sev = Number(row[col('Severity')]);
      const e = perIpDetail.get(row[0]!) ?? { n: 0, sev: 0 };
      e.n++;
      e.sev += sev;
      perIpDetail.set(row[0]!, e);
      bySeverity[sev - 1]!++;
      byStatus.set(row[col('Vuln Status')]!, (byStatus.get(row[col('Vuln Status')]!) ?? 0) + 1);
    }
    expect(s.perIp.map((r) => r[0])).toEqual([...perIpDetail.keys()]);
    for (const [ip, n, risk] of s.perIp) {
      const e = perIpDetail.get(ip!)!;
      expect(Number(n)).toBe(e.n);
      expect(risk).toBe((e.sev / e.n).toFixed(1));
    }
    const avg = s.perIp.reduce((sum, r) => sum + Number(r[2]), 0) / s.perIp.length;
    expect(s.totals[1]).toBe(avg.toFixed(1));
    expect(s.totals.slice(2, 7)).toEqual([5, 4, 3, 2, 1].map((v) => `${v}: ${bySeverity[v - 1]}`));
    expect(s.totals.slice(7, 10)).toEqual(
      ['New', 'Active', 'Re-Opened'].map((st) => `${st}: ${byStatus.get(st) ?? 0}`),
    );
    expect(res.perIp.map((p) => [p.ip, String(p.vulns), p.risk])).toEqual(s.perIp);
  });

  it('has realistic content: multi-line fields, doubled quotes, non-ASCII, stable QIDs, a QID on several ports', () => {
    const s = sections(records);
    const col = (name: string): number => DETAIL_HEADER.indexOf(name as (typeof DETAIL_HEADER)[number]);
    expect(s.detail.some((r) => r[col('Threat')]!.includes('\n'))).toBe(true);
    expect(s.detail.some((r) => r[col('Results')]!.includes('\n'))).toBe(true);
    expect(s.detail.some((r) => r[col('Threat')]!.includes('"'))).toBe(true);
    expect(text).toContain('""');
    expect(/[éü’]/.test(text)).toBe(true);
    for (const r of s.detail) expect(r[col('Threat')]!.length).toBeGreaterThanOrEqual(400);
    // A QID keeps its title/severity/texts everywhere.
    const byQid = new Map<string, string>();
    for (const r of s.detail) {
      const key = [col('Title'), col('Severity'), col('Threat'), col('Solution')].map((c) => r[c]).join('|');
      expect(byQid.get(r[col('QID')]!) ?? key).toBe(key);
      byQid.set(r[col('QID')]!, key);
    }
    // (host, QID, port, protocol) is unique; same (host, QID) on several ports happens in a bigger file.
    const keys = s.detail.map((r) => [r[0], r[col('QID')], r[col('Port')], r[col('Protocol')]].join('|'));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('puts the same QID on several ports of one host (bigger plan, not written)', async () => {
    const big = await generateScanReport({ targetBytes: 1024 * 1024, seed: 3 });
    const recs = csvParseSync(big.text!, { relax_column_count: true, skip_empty_lines: true }) as string[][];
    const d = sections(recs).detail;
    const qidCol = DETAIL_HEADER.indexOf('QID');
    const seen = new Map<string, number>();
    for (const r of d) seen.set(`${r[0]}|${r[qidCol]}`, (seen.get(`${r[0]}|${r[qidCol]}`) ?? 0) + 1);
    expect([...seen.values()].some((n) => n > 1)).toBe(true);
    expect(planScanReport({ targetBytes: 1024 * 1024, seed: 3 }).rows).toBe(d.length);
  });

  it('is deterministic for a seed, whatever the output (path, memory, stream)', async () => {
    const mem = await generateScanReport({ targetBytes: 300 * 1024, seed: 7 });
    expect(mem.text).toBe(text);
    const { stream } = scanReportStream({ targetBytes: 300 * 1024, seed: 7 });
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).toString('utf8')).toBe(text);
    const other = await generateScanReport({ targetBytes: 300 * 1024, seed: 8 });
    expect(other.text).not.toBe(text);
  });

  it('is parsed identically by papaparse and csv-parse', async () => {
    const papa = Papa.parse<string[]>(text, { delimiter: ',', newline: '\r\n', skipEmptyLines: true });
    expect(papa.errors).toEqual([]);
    expect(papa.data).toEqual(records);
    expect(records).toHaveLength(res.records);

    // Streaming ceilings count the same records, including with tiny chunks that split rows and characters.
    const counts = [
      await csvParseCeiling(file),
      await csvParseCeiling(file, { consumer: 'asyncIterator', chunkBytes: 1000 }),
      ...(await Promise.all(
        (['feed', 'chunk', 'step', 'duplex'] as const).map((mode) =>
          papaparseCeiling(file, { mode, chunkBytes: 1000 }),
        ),
      )),
      await papaparseCeiling(file),
    ].map((r) => [r.parser.split(' ')[0], r.rows, r.detailRows]);
    for (const [, rows, detail] of counts) {
      expect(rows).toBe(res.records);
      expect(detail).toBe(res.rows);
    }
  });

  it('parses CLI sizes', () => {
    expect(parseSize('100MB')).toBe(100 * 2 ** 20);
    expect(parseSize('1GB')).toBe(2 ** 30);
    expect(parseSize('300KiB')).toBe(300 * 1024);
    expect(parseSize('12345')).toBe(12345);
  });
});
