import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Analytics } from '../src/analytics.ts';
import { openChdbAnalytics } from '../src/clickhouse-analytics.ts';
import { analyticsContract } from './analytics.contract.ts';

// chDB allows one data directory per process: every test of this file shares it.
let shared: Promise<Analytics> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'q2h-chdb-'));
analyticsContract('chdb', () => {
  shared ??= openChdbAnalytics(dir);
  return shared;
});
afterAll(async () => {
  await (await shared)?.close();
});
