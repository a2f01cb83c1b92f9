import { describe, expect, it } from 'vitest';
import { OverviewCache } from '../src/domain/overview-cache.ts';
import type { Overview } from '../src/domain/overview-query.ts';

const overview = (findings: number): Overview => ({
  findings,
  hosts: 1,
  critical: 0,
  bySeverity: { '1': findings, '2': 0, '3': 0, '4': 0, '5': 0 },
  topVulns: [],
  topHosts: [],
});

function counting() {
  let calls = 0;
  return {
    compute: (findings: number) => () => {
      calls++;
      return Promise.resolve(overview(findings));
    },
    calls: () => calls,
  };
}

describe('OverviewCache', () => {
  const filter = { tenant: 't', severities: [4, 5] };

  it('computes an overview once per latest-state version and filter', async () => {
    const cache = new OverviewCache();
    const c = counting();
    expect((await cache.get(filter, 'v1', c.compute(1))).findings).toBe(1);
    expect((await cache.get({ ...filter, severities: [5, 4] }, 'v1', c.compute(2))).findings).toBe(1);
    expect(c.calls()).toBe(1);
    expect((await cache.get(filter, 'v2', c.compute(3))).findings).toBe(3);
    expect((await cache.get({ ...filter, report: 'r' }, 'v2', c.compute(4))).findings).toBe(4);
    expect((await cache.get({ ...filter, tenant: 'other' }, 'v2', c.compute(5))).findings).toBe(5);
    expect(c.calls()).toBe(4);
  });

  it('forgets a failed computation, and the least recently used filter beyond its size', async () => {
    const cache = new OverviewCache(2);
    await expect(cache.get(filter, 'v1', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const c = counting();
    await cache.get(filter, 'v1', c.compute(1));
    await cache.get({ ...filter, severities: [1] }, 'v1', c.compute(2));
    await cache.get(filter, 'v1', c.compute(3)); // a hit: now the most recently used
    await cache.get({ ...filter, severities: [2] }, 'v1', c.compute(4)); // evicts severities [1]
    await cache.get(filter, 'v1', c.compute(5));
    expect(c.calls()).toBe(3);
    expect((await cache.get({ ...filter, severities: [1] }, 'v1', c.compute(6))).findings).toBe(6);
  });
});
