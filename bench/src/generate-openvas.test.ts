import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReport } from '../../services/ingest/test/read-report.ts';
import { generateOpenvas } from './generate-openvas.ts';

const TARGET = 2 * 1024 * 1024;

describe('generateOpenvas', () => {
  let dir: string;
  let file: string;
  let generated: { findings: number; hosts: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'q2h-bench-openvas-'));
    file = join(dir, 'openvas.xml');
    generated = await generateOpenvas(file, TARGET, 7);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes about the target size, never more', async () => {
    const { size } = await stat(file);
    expect(size).toBeLessThanOrEqual(TARGET);
    expect(size).toBeGreaterThan(TARGET * 0.97);
  });

  it('reads back as exactly the findings and hosts it reports, each on the line its <result> starts', async () => {
    const { outcome, findings, vulnerabilities, dialect } = await readReport(file);
    expect(dialect).toBe('openvas-xml');
    expect(outcome.kind).toBe('ok');
    expect(findings).toHaveLength(generated.findings);
    expect(new Set(findings.map((f) => f.ip)).size).toBe(generated.hosts);
    expect(generated.hosts).toBeGreaterThan(10);
    expect(vulnerabilities.length).toBeGreaterThan(300);
    expect(new Set(findings.map((f) => f.severity))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(findings.some((f) => f.port === null && f.protocol === 'icmp')).toBe(true);
    expect(findings.some((f) => f.results.includes('\n'))).toBe(true);

    const lines = (await readFile(file, 'utf8')).split('\n');
    const starts = lines.flatMap((line, i) => (line.trimStart().startsWith('<result id=') ? [i + 1] : []));
    expect(findings.map((f) => f.line)).toEqual(starts);
  });

  it('writes the same file for the same seed and size', async () => {
    const again = join(dir, 'again.xml');
    expect(await generateOpenvas(again, TARGET, 7)).toEqual(generated);
    expect((await readFile(again)).equals(await readFile(file))).toBe(true);
  });
});
