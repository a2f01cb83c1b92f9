import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetOf } from '../../services/ingest/src/domain/report-model.ts';
import { readReport } from '../../services/ingest/test/read-report.ts';
import { generateNessus } from './generate-nessus.ts';

const TARGET = 2 * 2 ** 20;

describe('generateNessus', () => {
  let dir: string;
  let file: string;
  let generated: { findings: number; hosts: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'q2h-bench-nessus-'));
    file = join(dir, 'scan.nessus');
    generated = await generateNessus(file, TARGET, 7);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes up to the target size, with dozens of hosts', async () => {
    const { size } = await stat(file);
    expect(size).toBeLessThanOrEqual(TARGET);
    expect(size).toBeGreaterThan(TARGET * 0.9);
    expect(generated.hosts).toBeGreaterThan(10);
    expect(generated.findings).toBeGreaterThan(generated.hosts * 10);
  });

  it('is read by q2h as exactly the findings and hosts it reports, each key once', async () => {
    const { outcome, findings, dialect } = await readReport(file);
    expect(dialect).toBe('nessus-xml');
    expect(outcome).toMatchObject({ kind: 'ok', rows: generated.findings });
    expect(new Set(findings.map(assetOf)).size).toBe(generated.hosts);
    const keys = new Set(findings.map((f) => `${f.ip}|${f.vulnKey}|${f.port}|${f.protocol}`));
    expect(keys.size).toBe(generated.findings);
    expect(findings.some((f) => f.results.split('\n').length > 3 && f.results.includes('<true>'))).toBe(true);
    expect(new Set(findings.map((f) => f.severity))).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  it('draws the same hosts for a seed whatever the size, other hosts for another seed', async () => {
    const again = join(dir, 'again.nessus');
    const other = join(dir, 'other.nessus');
    await generateNessus(again, 300 * 1024, 7);
    await generateNessus(other, 300 * 1024, 8);
    const first = await readFile(again);
    expect((await readFile(file)).subarray(0, 100_000).equals(first.subarray(0, 100_000))).toBe(true);
    expect(first.equals(await readFile(other))).toBe(false);
  });
});
