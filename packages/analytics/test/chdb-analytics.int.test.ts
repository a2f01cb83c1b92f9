import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Analytics } from '../src/analytics.ts';
import { openChdbAnalytics } from '../src/clickhouse-analytics.ts';
import { analyticsContract } from './analytics.contract.ts';

// chDB allows one data directory per process: every test of this file shares it.
let shared: Promise<Analytics> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'q2h-chdb-'));
const chdb = () => (shared ??= openChdbAnalytics(dir));
analyticsContract('chdb', chdb);
afterAll(async () => {
  await (await shared)?.close();
});

/** A query whose hash table takes ~150 MB of chDB's memory. */
const LARGE_QUERY = 'SELECT uniqExact(toString(number)) AS n FROM numbers(5000000)';

describe('chdb: memory', () => {
  it('given a large hash table built, when its memory is released, then the process gives the pages back', async () => {
    const db = await chdb();
    await db.query(LARGE_QUERY);
    // Its ~150 MB are freed, but kept for reuse (JE_MALLOC_CONF's 2 s decay).
    const kept = process.memoryUsage.rss();
    await db.releaseMemory();
    const released = process.memoryUsage.rss();
    expect((kept - released) / 2 ** 20).toBeGreaterThan(50);
  });

  // In the kernel's "madvise" mode only memory that asks for huge pages gets them, and in this process
  // only chDB's allocator asks (JE_MALLOC_CONF's thp:always); in "always" or "never" mode there is
  // nothing of ours to check (nor on a kernel without them).
  const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
  const thpMode = existsSync(thpFile) ? /\[(\w+)\]/.exec(readFileSync(thpFile, 'utf8'))?.[1] : undefined;
  it.runIf(thpMode === 'madvise')('given a large query, then its memory comes in huge pages', async () => {
    const db = await chdb();
    const hugeMb = () =>
      Number(/AnonHugePages:\s+(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1] ?? 0) / 1024;
    await db.query(LARGE_QUERY);
    expect(hugeMb()).toBeGreaterThan(16);
  });
});
