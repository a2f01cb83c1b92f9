import type { VulnType } from '@q2h/contracts';
import { type RepeatedColumns, repeatedColumns } from '../../csv-records.ts';
import type { ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import { cellAt } from '../csv-table.ts';

/** Header names by field; the first present wins (Scan Report and flat detection CSV name a few differently). */
const COLUMNS = {
  ip: ['IP'],
  dns: ['DNS', 'DNS Name'],
  netbios: ['NetBIOS'],
  hostId: ['QG Host ID', 'Host ID'],
  trackingMethod: ['Tracking Method'],
  os: ['OS'],
  qid: ['QID'],
  title: ['Title'],
  status: ['Vuln Status'],
  type: ['Type'],
  severity: ['Severity'],
  port: ['Port'],
  protocol: ['Protocol'],
  fqdn: ['FQDN'],
  ssl: ['SSL'],
  firstDetected: ['First Detected'],
  lastDetected: ['Last Detected'],
  timesDetected: ['Times Detected'],
  cves: ['CVE ID'],
  vendorReferences: ['Vendor Reference'],
  cvssBase: ['CVSS Base', 'CVSS'],
  cvss3Base: ['CVSS3.1 Base', 'CVSS3 Base', 'CVSS3.1', 'CVSS3'],
  threat: ['Threat'],
  impact: ['Impact'],
  solution: ['Solution'],
  results: ['Results'],
  pciVuln: ['PCI Vuln'],
  category: ['Category'],
  network: ['Network'],
} as const;

type Column = keyof typeof COLUMNS;
const REQUIRED: Column[] = ['ip', 'qid', 'title', 'severity'];

/** True when a record is a Qualys detail header (the row naming IP, QID, Title and Severity). */
export function isQualysDetailHeader(fields: readonly string[]): boolean {
  return REQUIRED.every((column) => COLUMNS[column].some((name) => fields.includes(name)));
}

/** The columns only a QID's first row is read for (its VulnerabilityDefined): the rest repeat them. */
const PER_QID: Column[] = [
  'title',
  'category',
  'cves',
  'vendorReferences',
  'cvssBase',
  'cvss3Base',
  'threat',
  'impact',
  'solution',
  'pciVuln',
];

export function qualysRepeatedColumns(header: readonly string[]): RepeatedColumns {
  const index = columnIndex(header);
  const read = new Set(Object.values(index));
  return repeatedColumns(
    index.qid,
    PER_QID.map((column) => index[column]),
    header.map((_, at) => at).filter((at) => !read.has(at)),
  );
}

export type QualysRowMapper = (fields: readonly string[], line: number) => RowResult;

/** Builds the row mapper for one header: column positions are looked up once, not per row. */
export function qualysRowMapper(header: readonly string[]): QualysRowMapper {
  const index = columnIndex(header);
  // Rows of one scan share their dates: a regex per date cost 4 % of the import worker.
  const firstDetected = lastValueMemo(qualysDate);
  const lastDetected = lastValueMemo(qualysDate);
  const width = header.length;

  return (fields, line) => {
    if (fields.length === 1 && (fields[0] ?? '').trim() === '') return { kind: 'skip' }; // blank line (or a stray LF or space)
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const qid = cellAt(fields, index.qid).trim();
    const ip = cellAt(fields, index.ip).trim();
    if (!/^\d+$/.test(qid)) return { kind: 'invalid', reason: `QID "${qid}" is not a number` };
    if (!ip) return { kind: 'invalid', reason: 'IP is empty' };
    const severity = Number.parseInt(cellAt(fields, index.severity), 10);
    if (!(severity >= 1 && severity <= 5)) {
      return {
        kind: 'invalid',
        reason: `Severity "${cellAt(fields, index.severity)}" is not between 1 and 5`,
      };
    }
    const vulnType = qualysType(cellAt(fields, index.type));
    const port = Number.parseInt(cellAt(fields, index.port), 10);
    const finding: ParsedFinding = {
      line,
      source: 'qualys',
      vulnKey: qid,
      severity,
      vulnType,
      ip,
      dns: cellAt(fields, index.dns),
      netbios: cellAt(fields, index.netbios),
      os: cellAt(fields, index.os),
      hostId: cellAt(fields, index.hostId),
      trackingMethod: cellAt(fields, index.trackingMethod),
      port: Number.isFinite(port) ? port : null,
      protocol: cellAt(fields, index.protocol).toLowerCase(),
      fqdn: cellAt(fields, index.fqdn),
      ssl: /ssl/i.test(cellAt(fields, index.ssl)),
      status: cellAt(fields, index.status),
      firstDetected: firstDetected(cellAt(fields, index.firstDetected)),
      lastDetected: lastDetected(cellAt(fields, index.lastDetected)),
      timesDetected: toIntOrNull(cellAt(fields, index.timesDetected)),
      results: cellAt(fields, index.results),
      network: cellAt(fields, index.network),
      scannerSeverity: cellAt(fields, index.severity),
    };
    return {
      kind: 'finding',
      finding,
      vulnerability: vulnerabilityOf(fields, index, qid, severity, vulnType),
    };
  };
}

/**
 * A row's vulnerability, built only if its QID is new to the import. Made here, not as a closure inside
 * the row mapper: tsx names each function created per row with a defineProperty (see fieldText).
 */
function vulnerabilityOf(
  fields: readonly string[],
  index: Record<Column, number>,
  qid: string,
  severity: number,
  vulnType: VulnType,
): () => ParsedVulnerability {
  return () => {
    const cvss = scoreAndVector(cellAt(fields, index.cvssBase));
    const cvss3 = scoreAndVector(cellAt(fields, index.cvss3Base));
    return {
      source: 'qualys',
      vulnKey: qid,
      title: cellAt(fields, index.title),
      severity,
      vulnType,
      category: cellAt(fields, index.category),
      cves: cellAt(fields, index.cves)
        .split(/[,\s]+/)
        .filter((cve) => cve.length > 0),
      vendorReferences: cellAt(fields, index.vendorReferences),
      cvssBase: cvss.score,
      cvssVector: cvss.vector,
      cvss3Base: cvss3.score,
      cvss3Vector: cvss3.vector,
      threat: cellAt(fields, index.threat),
      impact: cellAt(fields, index.impact),
      solution: cellAt(fields, index.solution),
      pciVuln: cellAt(fields, index.pciVuln).toLowerCase() === 'yes',
      cvss4Base: null,
      cvss4Vector: '',
      epss: null,
    };
  };
}

/** Each column's position in the header (-1: absent); the first of its names present wins. */
function columnIndex(header: readonly string[]): Record<Column, number> {
  const index = {} as Record<Column, number>;
  for (const column of Object.keys(COLUMNS) as Column[]) {
    index[column] = COLUMNS[column].map((name) => header.indexOf(name)).find((i) => i >= 0) ?? -1;
  }
  return index;
}

/** Qualys types: Vuln (confirmed), Practice / Potential (potential vulnerabilities), Ig (information gathered). */
export function qualysType(value: string): VulnType {
  const type = value.trim().toLowerCase();
  if (type === 'ig' || type.startsWith('info')) return 'information';
  if (type === 'practice' || type.startsWith('potential')) return 'practice';
  return 'vulnerability';
}

/** "9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)" → 9.3 and the vector; "7.4" → 7.4 and no vector. */
export function scoreAndVector(value: string): { score: number | null; vector: string } {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\((.*)\))?\s*$/.exec(value);
  if (!match) return { score: null, vector: '' };
  return { score: Number(match[1]), vector: match[2] ?? '' };
}

/** Qualys CSV dates: "MM/DD/YYYY HH:mm:ss", no zone given: read as UTC. */
export function qualysDate(value: string): number | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value.trim());
  if (!match) return null;
  const [, mm, dd, yyyy, h = '0', m = '0', s = '0'] = match;
  return Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd), Number(h), Number(m), Number(s));
}

/** `convert`, remembering its last argument and result. */
function lastValueMemo<T>(convert: (value: string) => T): (value: string) => T {
  let last: { value: string; result: T } | undefined;
  return (value) => {
    if (last?.value !== value) last = { value, result: convert(value) };
    return last.result;
  };
}

export function toIntOrNull(value: string): number | null {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : null;
}
