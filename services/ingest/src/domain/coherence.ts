import type { CoherenceLevel, CoherenceResult } from '@q2h/contracts';
import type { DeclaredTotals } from './report-model.ts';

/** What the detail rows actually hold, gathered while parsing (bounded: per host and per severity). */
export interface ObservedTotals {
  rows: number;
  perIp: Map<string, number>;
  bySeverity: Map<number, number>;
}

/** At most this many per-host results: a 2 GB report has thousands of hosts; the summary line counts all. */
const MAX_HOST_RESULTS = 500;

/** Compares the preamble's declared totals with the detail rows: each check with expected, actual, level. */
export function checkCoherence(declared: DeclaredTotals, observed: ObservedTotals): CoherenceResult[] {
  const results: CoherenceResult[] = [];
  const compare = (check: string, expected: number, actual: number, entity: string | null = null) =>
    results.push({
      check,
      entity,
      expected: String(expected),
      actual: String(actual),
      level: level(expected === actual),
    });

  if (declared.totalVulns !== null) compare('total-vulnerabilities', declared.totalVulns, observed.rows);
  if (declared.activeHosts !== null) compare('active-hosts', declared.activeHosts, observed.perIp.size);
  for (const [severity, count] of declared.bySeverity) {
    compare('severity-count', count, observed.bySeverity.get(severity) ?? 0, `severity ${severity}`);
  }
  if (declared.perIp.size > 0) {
    const hostResults: CoherenceResult[] = [];
    let mismatches = 0;
    for (const [ip, expected] of declared.perIp) {
      const actual = observed.perIp.get(ip);
      if (actual === undefined) {
        mismatches++;
        hostResults.push({
          check: 'host-missing-in-detail',
          entity: ip,
          expected: `${expected} findings`,
          actual: 'absent',
          level: 'warning',
        });
      } else if (actual !== expected) {
        mismatches++;
        hostResults.push({
          check: 'host-count',
          entity: ip,
          expected: String(expected),
          actual: String(actual),
          level: 'warning',
        });
      }
    }
    for (const [ip, actual] of observed.perIp) {
      if (!declared.perIp.has(ip)) {
        mismatches++;
        hostResults.push({
          check: 'host-missing-in-summary',
          entity: ip,
          expected: 'absent',
          actual: `${actual} findings`,
          level: 'warning',
        });
      }
    }
    results.push({
      check: 'per-host-counts',
      entity: null,
      expected: `${declared.perIp.size} hosts as summarised`,
      actual: mismatches === 0 ? 'all match' : `${mismatches} host(s) differ`,
      level: level(mismatches === 0),
    });
    results.push(...hostResults.slice(0, MAX_HOST_RESULTS));
  }
  return results;
}

function level(matches: boolean): CoherenceLevel {
  return matches ? 'ok' : 'warning';
}

export function worstLevel(results: readonly CoherenceResult[]): CoherenceLevel {
  if (results.some((r) => r.level === 'error')) return 'error';
  return results.some((r) => r.level === 'warning') ? 'warning' : 'ok';
}
