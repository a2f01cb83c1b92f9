import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetOf } from '../../services/ingest/src/domain/report-model.ts';
import { readReport } from '../../services/ingest/test/read-report.ts';
import { generateNuclei } from './generate-nuclei.ts';

const TARGET = 2 * 1024 * 1024;

describe('generateNuclei', () => {
  let dir: string;
  let file: string;
  let generated: { findings: number; hosts: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'q2h-bench-nuclei-'));
    file = join(dir, 'nuclei.jsonl');
    generated = await generateNuclei(file, TARGET, 7);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes about the target size, never more', async () => {
    const { size } = await stat(file);
    expect(size).toBeLessThanOrEqual(TARGET);
    expect(size).toBeGreaterThan(TARGET * 0.99);
  });

  it('reads back as exactly the findings and assets it reports', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(file);
    expect(dialect).toBe('nuclei-jsonl');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(generated.findings);
    expect(new Set(findings.map(assetOf)).size).toBe(generated.hosts);
    expect(generated.hosts).toBeGreaterThan(20);
    expect(vulnerabilities.length).toBeGreaterThan(100);
    expect(new Set(findings.map((f) => f.severity))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(findings.map((f) => f.protocol))).toEqual(new Set(['tcp', 'udp']));
    expect(findings.some((f) => f.port === null && f.ip === '')).toBe(true); // DNS results, on the name
  });

  it('writes consecutive results of one finding (tls-version per TLS version), which q2h counts once', async () => {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(generated.findings);
    const { findings } = await readReport(file);
    const tls = findings.filter((f) => f.vulnKey === 'tls-version');
    expect(tls.some((f) => f.results.includes('tls12\n\n') && f.results.endsWith('tls13'))).toBe(true);
    expect(lines[0]).toMatch(/^\{"template":"[^"]+","template-url":/);
    expect(lines.some((line) => line.includes('\\u003chtml\\u003e'))).toBe(true);
  });

  it('writes the same file for the same seed and size', async () => {
    const again = join(dir, 'again.jsonl');
    expect(await generateNuclei(again, TARGET, 7)).toEqual(generated);
    expect((await readFile(again)).equals(await readFile(file))).toBe(true);
  });
});
