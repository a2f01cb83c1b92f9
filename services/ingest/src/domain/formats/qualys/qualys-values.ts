import type { ParsedVulnerability } from '../../report-model.ts';

/**
 * The knowledge fields a Qualys dialect may not carry (none has CVSS v4 or EPSS). Spread once per
 * vulnerability only: findings are plain literals, as spreading defaults into each of them took the
 * 200 MB generated ASSET_DATA_REPORT from 3.1 s to 18.6 s to read.
 */
export const UNKNOWN_KNOWLEDGE = {
  category: '',
  cves: [],
  vendorReferences: '',
  cvssBase: null,
  cvssVector: '',
  cvss3Base: null,
  cvss3Vector: '',
  threat: '',
  impact: '',
  solution: '',
  pciVuln: false,
  cvss4Base: null,
  cvss4Vector: '',
  epss: null,
} as const satisfies Partial<ParsedVulnerability>;

/** The CVE ids in a cell or attribute, whatever separates them ("CVE-1,CVE-2", "CVE-1 CVE-2"); '----' holds none. */
export function cveIdsIn(value: string): string[] {
  return value.match(/CVE-\d{4}-\d+/gi)?.map((cve) => cve.toUpperCase()) ?? [];
}

/** "2019-07-31T21:57:48Z" or "2024-09-16 04:00:30" → epoch ms; no zone given: UTC. */
export function isoDate(value: string): number | null {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      value.trim(),
    );
  if (!match) return null;
  const [, yyyy, mm, dd, h = '0', m = '0', s = '0', zone = 'Z'] = match;
  const utc = Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd), Number(h), Number(m), Number(s));
  if (zone.toUpperCase() === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2));
  return utc - sign * minutes * 60_000;
}

/** Reads a row's cells by column, each column's position looked up once in the header ('' when absent). */
export function cellsOf<Column extends string>(
  header: readonly string[],
  columns: Record<Column, readonly string[]>,
  clean: (value: string) => string = (value) => value,
): (fields: readonly string[], column: Column) => string {
  const index = {} as Record<Column, number>;
  for (const column of Object.keys(columns) as Column[]) {
    index[column] = columns[column].map((name) => header.indexOf(name)).find((i) => i >= 0) ?? -1;
  }
  return (fields, column) => clean(fields[index[column]] ?? '');
}
