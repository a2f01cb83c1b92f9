import type { VulnType } from '@q2h/contracts';
import type { ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import { isBlank, readCsvTable } from '../csv-table.ts';
import type { FindingsSink, ReportFormat, ReportHead, ReportSource } from '../report-format.ts';
import { qualysType, scoreAndVector, toIntOrNull } from './qualys-columns.ts';
import { cellsOf, cveIdsIn, isoDate, UNKNOWN_KNOWLEDGE } from './qualys-values.ts';

/** The 22 upper-case columns that Qualys's PCI export and HackerGuardian both write. */
const COLUMNS = {
  ip: ['IP'],
  hostname: ['HOSTNAME'],
  lastScan: ['LAST SCAN'],
  qid: ['QID'],
  title: ['VULN TITLE'],
  type: ['TYPE'],
  pciSeverity: ['SEVERITY'],
  port: ['PORT'],
  protocol: ['PROTOCOL'],
  os: ['OPERATING SYSTEM'],
  isPci: ['IS_PCI'],
  cvssBase: ['CVSS_BASE'],
  qualysSeverity: ['Q_SEVERITY'],
  threat: ['THREAT'],
  impact: ['IMPACT'],
  solution: ['SOLUTION'],
  category: ['CATEGORY'],
  result: ['RESULT'],
  cves: ['CVEID'],
} as const;

const REQUIRED = ['IP', 'QID', 'VULN TITLE', 'Q_SEVERITY'];

function isPciHeader(fields: readonly string[]): boolean {
  return REQUIRED.every((name) => fields.includes(name));
}

/**
 * Which writer made the file: HackerGuardian quotes every field; Qualys's PCI export quotes none (it
 * replaces commas in texts by two spaces, see monthly_pci_issue6932.csv). Both read the same way.
 */
const quotesFields = (head: ReportHead) => head.text.trimStart().startsWith('"');

/** Qualys PCI scan CSV ("monthly PCI"): unquoted, day-first dates, HTML in texts. */
export const qualysPciCsv: ReportFormat = {
  dialect: 'qualys-pci-csv',
  label: 'Qualys PCI scan (CSV)',
  recognises: (head) => isPciHeader(head.records[0] ?? []) && !quotesFields(head),
  read: readPciCsv,
};

/** HackerGuardian PCI scan CSV (Qualys engine): every field quoted, letter PCI severities, ISO dates. */
export const qualysHackerGuardianCsv: ReportFormat = {
  dialect: 'qualys-hacker-guardian-csv',
  label: 'HackerGuardian PCI scan, Qualys engine (CSV)',
  recognises: (head) => isPciHeader(head.records[0] ?? []) && quotesFields(head),
  read: readPciCsv,
};

function readPciCsv(source: ReportSource, sink: FindingsSink) {
  return readCsvTable(
    source,
    {
      isHeader: isPciHeader,
      preamble: (fields) =>
        isBlank(fields) ? undefined : 'expected the PCI header (IP, HOSTNAME, LAST SCAN, QID, VULN TITLE…)',
      rows: pciRowMapper,
      missingHeader: 'no PCI header (IP, QID, VULN TITLE, Q_SEVERITY) found',
    },
    sink,
  );
}

function pciRowMapper(header: readonly string[]) {
  const cell = cellsOf(header, COLUMNS);
  /** The cells trimmed: all but RESULT, whose layout is kept. */
  const get = cellsOf(header, COLUMNS, (value) => value.trim());
  const width = header.length;

  return (fields: readonly string[], line: number): RowResult => {
    if (isBlank(fields)) return { kind: 'skip' };
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const qid = get(fields, 'qid');
    const ip = get(fields, 'ip');
    if (!/^\d+$/.test(qid)) return { kind: 'invalid', reason: `QID "${qid}" is not a number` };
    if (!ip) return { kind: 'invalid', reason: 'IP is empty' };
    const severity = pciSeverity(get(fields, 'qualysSeverity'), get(fields, 'pciSeverity'));
    if (!severity) {
      return {
        kind: 'invalid',
        reason: `neither Q_SEVERITY "${get(fields, 'qualysSeverity')}" nor SEVERITY "${get(fields, 'pciSeverity')}" is a severity`,
      };
    }
    const vulnType = qualysType(get(fields, 'type'));
    const finding: ParsedFinding = {
      line,
      source: 'qualys',
      vulnKey: qid,
      severity: severity.value,
      scannerSeverity: severity.written,
      vulnType,
      ip,
      dns: get(fields, 'hostname'),
      netbios: '',
      os: get(fields, 'os'),
      hostId: '',
      trackingMethod: '',
      network: '',
      port: toIntOrNull(get(fields, 'port')),
      protocol: get(fields, 'protocol').toLowerCase(),
      fqdn: '',
      ssl: false,
      status: '',
      firstDetected: null,
      lastDetected: pciDate(get(fields, 'lastScan')),
      timesDetected: null,
      results: cell(fields, 'result'),
    };
    return {
      kind: 'finding',
      finding,
      vulnerability: vulnerabilityOf(get, fields, qid, severity.value, vulnType),
    };
  };
}

/**
 * A row's vulnerability, built only if its QID is new to the import. Made here, not as a closure inside
 * the row mapper: tsx names every function created per row with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function vulnerabilityOf(
  get: (fields: readonly string[], column: keyof typeof COLUMNS) => string,
  fields: readonly string[],
  qid: string,
  severity: number,
  vulnType: VulnType,
): () => ParsedVulnerability {
  return () => {
    const cvss = scoreAndVector(get(fields, 'cvssBase'));
    return {
      ...UNKNOWN_KNOWLEDGE,
      source: 'qualys',
      vulnKey: qid,
      title: get(fields, 'title'),
      severity,
      vulnType,
      category: get(fields, 'category'),
      cves: cveIdsIn(get(fields, 'cves')),
      cvssBase: cvss.score,
      cvssVector: cvss.vector,
      threat: get(fields, 'threat'),
      impact: get(fields, 'impact'),
      solution: get(fields, 'solution'),
      // "Fail" (PCI export) or "Y" (HackerGuardian): the detection fails PCI compliance.
      pciVuln: /^(fail|y|yes)$/i.test(get(fields, 'isPci')),
    };
  };
}

/** PCI severities by their first letter ('M', 'Medium'): Info/None, Low, Medium, High, Critical/Urgent. */
const PCI_LEVELS: Record<string, number> = { I: 1, N: 1, L: 2, M: 3, H: 4, C: 5, U: 5 };

/**
 * Q_SEVERITY is Qualys's own 1–5 severity, the scale of every other Qualys report; SEVERITY is the PCI
 * rating (a word or a letter), used only when Q_SEVERITY is missing.
 */
function pciSeverity(qualys: string, pci: string): { value: number; written: string } | undefined {
  if (/^[1-5]$/.test(qualys)) return { value: Number(qualys), written: qualys };
  const level = PCI_LEVELS[pci.charAt(0).toUpperCase()];
  return level ? { value: level, written: pci } : undefined;
}

/** "2024-09-16 04:00:30" (HackerGuardian) or day-first "22/09/2022 13:01" (PCI export); UTC. */
function pciDate(value: string): number | null {
  const iso = isoDate(value);
  if (iso !== null) return iso;
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (!match) return null;
  const [, dd, mm, yyyy, h = '0', m = '0', s = '0'] = match;
  return Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd), Number(h), Number(m), Number(s));
}
