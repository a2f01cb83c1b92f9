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
  const width = header.length;

  return (fields: readonly string[], line: number): RowResult => {
    if (isBlank(fields)) return { kind: 'skip' };
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const get = (column: keyof typeof COLUMNS) => cell(fields, column).trim();
    const qid = get('qid');
    const ip = get('ip');
    if (!/^\d+$/.test(qid)) return { kind: 'invalid', reason: `QID "${qid}" is not a number` };
    if (!ip) return { kind: 'invalid', reason: 'IP is empty' };
    const severity = pciSeverity(get('qualysSeverity'), get('pciSeverity'));
    if (!severity) {
      return {
        kind: 'invalid',
        reason: `neither Q_SEVERITY "${get('qualysSeverity')}" nor SEVERITY "${get('pciSeverity')}" is a severity`,
      };
    }
    const vulnType = qualysType(get('type'));
    const finding: ParsedFinding = {
      line,
      source: 'qualys',
      vulnKey: qid,
      severity: severity.value,
      scannerSeverity: severity.written,
      vulnType,
      ip,
      dns: get('hostname'),
      netbios: '',
      os: get('os'),
      hostId: '',
      trackingMethod: '',
      network: '',
      port: toIntOrNull(get('port')),
      protocol: get('protocol').toLowerCase(),
      fqdn: '',
      ssl: false,
      status: '',
      firstDetected: null,
      lastDetected: pciDate(get('lastScan')),
      timesDetected: null,
      results: cell(fields, 'result'),
    };
    const vulnerability = (): ParsedVulnerability => {
      const cvss = scoreAndVector(get('cvssBase'));
      return {
        ...UNKNOWN_KNOWLEDGE,
        source: 'qualys',
        vulnKey: qid,
        title: get('title'),
        severity: severity.value,
        vulnType,
        category: get('category'),
        cves: cveIdsIn(get('cves')),
        cvssBase: cvss.score,
        cvssVector: cvss.vector,
        threat: get('threat'),
        impact: get('impact'),
        solution: get('solution'),
        // "Fail" (PCI export) or "Y" (HackerGuardian): the detection fails PCI compliance.
        pciVuln: /^(fail|y|yes)$/i.test(get('isPci')),
      };
    };
    return { kind: 'finding', finding, vulnerability };
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
