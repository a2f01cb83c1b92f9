import type { VulnType } from '@q2h/contracts';
import Papa from 'papaparse';
import { readCsvRecords } from '../../csv-records.ts';
import type { DeclaredTotals, ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import { isBlank, readCsvTable } from '../csv-table.ts';
import type { FindingsSink, ReportFormat, ReportSource } from '../report-format.ts';
import { qualysType, toIntOrNull } from './qualys-columns.ts';
import { cellsOf, cveIdsIn, UNKNOWN_KNOWLEDGE } from './qualys-values.ts';

const COLUMNS = {
  qid: ['QID'],
  title: ['Title'],
  severity: ['Severity'],
  type: ['Type Detected'],
  lastDetected: ['Last Detected'],
  firstDetected: ['First Detected'],
  protocol: ['Protocol'],
  port: ['Port'],
  status: ['Status'],
  assetId: ['Asset Id'],
  assetName: ['Asset Name'],
  ipv4: ['Asset IPV4'],
  ipv6: ['Asset IPV6'],
  solution: ['Solution'],
  category: ['Category'],
  os: ['Operating System'],
  timesDetected: ['Times Detected'],
  threat: ['Threat'],
  results: ['Results'],
  cve: ['CVE'],
  cvss2: ['CVSSv2 Base (nvd)'],
  cvss3: ['CVSSv3.1 Base (nvd)'],
} as const;
type Column = keyof typeof COLUMNS;

const REPORT_TITLE = 'Asset Vuln Datalist Report';

function isVmdrHeader(fields: readonly string[]): boolean {
  return ['QID', 'Title', 'Severity', 'Asset IPV4'].every((name) => fields.includes(name));
}

/** The CVE-centric layout: one row per CVE of a detection, the CVE and its NVD scores first. */
const isCveLayout = (header: readonly string[]) => header.includes('CVE');

/**
 * Some VMDR downloads quote every line once more (`"QID,""Title"",…"`): a CSV reader sees one field
 * holding the real record, which is parsed again.
 */
function unwrapped(fields: readonly string[]): readonly string[] {
  const [only] = fields;
  if (fields.length !== 1 || only === undefined || !only.includes(',"')) return fields;
  return Papa.parse<string[]>(only, { delimiter: ',' }).data[0] ?? fields;
}

/** VMDR writes "'-" (and sometimes "-") for an empty cell. */
const withoutDash = (value: string) => (value === "'-" || value === '-' ? '' : value.trim());

/**
 * Qualys VMDR "Asset Vuln Datalist" CSV (Vulnerabilities tab → Download), QID- or CVE-centric, with or
 * without its three preamble lines (report title and date, company, user).
 *
 * The CVE layout spreads a QID's CVEs over one row per CVE: a first pass gathers them per QID (memory:
 * one entry per QID), so each QID's knowledge is complete when its first finding streams out; rows of
 * one detection that follow each other make one finding.
 */
export const qualysVmdrCsv: ReportFormat = {
  dialect: 'qualys-vmdr-asset-vuln-csv',
  label: 'Qualys VMDR Asset Vuln Datalist (CSV)',
  recognises: (head) =>
    head.records.slice(0, 5).some((record) => {
      const fields = unwrapped(record);
      return fields[0] === REPORT_TITLE || isVmdrHeader(fields);
    }),
  async read(source, sink) {
    const cveKnowledge = await gatherCves(source);
    const declared: DeclaredTotals = {
      reportDate: null,
      totalVulns: null,
      activeHosts: null,
      bySeverity: new Map(),
      perIp: new Map(),
    };
    return readCsvTable(
      source,
      {
        isHeader: (fields) => isVmdrHeader(unwrapped(fields)),
        preamble: (fields) => {
          const [title, date = ''] = unwrapped(fields);
          if (title === REPORT_TITLE) declared.reportDate = reportDate(date);
          return undefined;
        },
        rows: (header) => vmdrRowMapper(unwrapped(header), cveKnowledge),
        declared: () => declared,
        missingHeader: 'no VMDR header (QID, Title, Severity, Asset IPV4) found',
      },
      onePerIp(sink),
    );
  },
};

/** A QID's CVEs and the highest NVD scores among them, gathered from the CVE layout's rows. */
interface CveKnowledge {
  cves: Set<string>;
  cvss2: number | null;
  cvss3: number | null;
}

/** First pass, CVE layout only (a QID layout stops at its header): every QID's CVEs and NVD scores. */
async function gatherCves(source: ReportSource): Promise<Map<string, CveKnowledge>> {
  const byQid = new Map<string, CveKnowledge>();
  let cell: ((fields: readonly string[], column: Column) => string) | undefined;
  // A failure here is met again, with its line, by the second pass that reports it.
  await readCsvRecords(
    source.path,
    { encoding: source.encoding, ...(source.finalSize ? { finalSize: source.finalSize } : {}) },
    async (records) => {
      for (const record of records) {
        const fields = unwrapped(record.fields);
        if (!cell) {
          if (!isVmdrHeader(fields)) continue;
          if (!isCveLayout(fields)) return 'stop';
          cell = cellsOf(fields, COLUMNS, withoutDash);
          continue;
        }
        const qid = cell(fields, 'qid');
        if (!qid) continue;
        const known = byQid.get(qid) ?? { cves: new Set(), cvss2: null, cvss3: null };
        for (const cve of cveIdsIn(cell(fields, 'cve'))) known.cves.add(cve);
        known.cvss2 = highest(known.cvss2, cell(fields, 'cvss2'));
        known.cvss3 = highest(known.cvss3, cell(fields, 'cvss3'));
        byQid.set(qid, known);
      }
      return 'continue';
    },
  );
  return byQid;
}

function highest(current: number | null, value: string): number | null {
  const score = Number.parseFloat(value);
  if (!Number.isFinite(score)) return current;
  return current === null ? score : Math.max(current, score);
}

function vmdrRowMapper(header: readonly string[], cveKnowledge: Map<string, CveKnowledge>) {
  const cell = cellsOf(header, COLUMNS, withoutDash);
  const width = header.length;
  const cveLayout = isCveLayout(header);
  let previousDetection = '';

  return (raw: readonly string[], line: number): RowResult => {
    if (isBlank(raw)) return { kind: 'skip' };
    const fields = unwrapped(raw);
    if (fields.length !== width) {
      return { kind: 'invalid', reason: `expected ${width} fields as in the header, found ${fields.length}` };
    }
    const qid = cell(fields, 'qid');
    if (!/^\d+$/.test(qid)) return { kind: 'invalid', reason: `QID "${qid}" is not a number` };
    const severity = Number.parseInt(cell(fields, 'severity'), 10);
    if (!(severity >= 1 && severity <= 5)) {
      return { kind: 'invalid', reason: `Severity "${cell(fields, 'severity')}" is not between 1 and 5` };
    }
    // Several addresses of one asset stay in `ip` until onePerIp splits them.
    const ip = cell(fields, 'ipv4') || cell(fields, 'ipv6');
    if (!ip && !cell(fields, 'assetName')) {
      return { kind: 'invalid', reason: 'the asset has no IP and no name' };
    }
    const port = toIntOrNull(cell(fields, 'port'));
    const protocol = cell(fields, 'protocol').toLowerCase();
    if (cveLayout) {
      const detection = `${cell(fields, 'assetId')}|${ip}|${qid}|${port}|${protocol}`;
      if (detection === previousDetection) return { kind: 'skip' }; // the same detection, another CVE
      previousDetection = detection;
    }
    const vulnType = qualysType(cell(fields, 'type'));
    const finding: ParsedFinding = {
      line,
      source: 'qualys',
      vulnKey: qid,
      severity,
      scannerSeverity: cell(fields, 'severity'),
      vulnType,
      ip,
      dns: cell(fields, 'assetName'),
      netbios: '',
      os: cell(fields, 'os'),
      hostId: cell(fields, 'assetId'),
      trackingMethod: '',
      network: '',
      // VMDR writes port 0 for a host-level detection, which other Qualys reports leave empty.
      port: port === 0 ? null : port,
      protocol,
      fqdn: '',
      ssl: false,
      status: vmdrStatus(cell(fields, 'status')),
      firstDetected: vmdrDate(cell(fields, 'firstDetected')),
      lastDetected: vmdrDate(cell(fields, 'lastDetected')),
      timesDetected: toIntOrNull(cell(fields, 'timesDetected')),
      results: cell(fields, 'results'),
    };
    return {
      kind: 'finding',
      finding,
      vulnerability: vulnerabilityOf(cell, fields, cveKnowledge, qid, severity, vulnType),
    };
  };
}

/**
 * A row's vulnerability, built only if its QID is new to the import. Made here, not as a closure inside
 * the row mapper: tsx names every function created per row with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function vulnerabilityOf(
  cell: (fields: readonly string[], column: Column) => string,
  fields: readonly string[],
  cveKnowledge: Map<string, CveKnowledge>,
  qid: string,
  severity: number,
  vulnType: VulnType,
): () => ParsedVulnerability {
  return () => {
    const cves = cveKnowledge.get(qid);
    return {
      ...UNKNOWN_KNOWLEDGE,
      source: 'qualys',
      vulnKey: qid,
      title: cell(fields, 'title'),
      severity,
      vulnType,
      category: cell(fields, 'category'),
      cves: cves ? [...cves.cves] : [],
      cvssBase: cves?.cvss2 ?? null,
      cvss3Base: cves?.cvss3 ?? null,
      threat: cell(fields, 'threat'),
      solution: cell(fields, 'solution'),
    };
  };
}

/**
 * A VMDR asset lists all its addresses in one cell ("10.0.0.20,10.0.0.21"). q2h's asset is an address,
 * so the detection becomes one finding per address: each is found when a user looks up either IP.
 */
function onePerIp(sink: FindingsSink): FindingsSink {
  return {
    accept: (findings, bytesDone) =>
      sink.accept(
        findings.flatMap((emitted) => {
          if (!emitted.finding.ip.includes(',')) return [emitted];
          return emitted.finding.ip
            .split(',')
            .map((ip) => ip.trim())
            .filter((ip) => ip.length > 0)
            .map((ip) => ({
              finding: Object.assign({}, emitted.finding, { ip }),
              vulnerability: emitted.vulnerability,
            }));
        }),
        bytesDone,
      ),
  };
}

/** VMDR's upper-case statuses, spelled as the other Qualys reports spell them (read models match 'Fixed'). */
const STATUSES: Record<string, string> = {
  NEW: 'New',
  ACTIVE: 'Active',
  FIXED: 'Fixed',
  REOPENED: 'Re-Opened',
  'RE-OPENED': 'Re-Opened',
};
const vmdrStatus = (value: string) => STATUSES[value.toUpperCase()] ?? value;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** "Feb 03, 2026 07:00 AM" → epoch ms, UTC (no zone given). */
function vmdrDate(value: string): number | null {
  const match =
    /^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s+(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)?)?$/i.exec(
      value,
    );
  if (!match) return null;
  const [, month = '', dd = '', yyyy = '', h = '0', m = '0', s = '0', half] = match;
  return utc(yyyy, month, dd, hours(h, half), m, s);
}

/** The preamble's "04 Feb 2026 10:00AM GMT-0500" → epoch ms, honouring the offset. */
function reportDate(value: string): number | null {
  const match =
    /^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{4})\s+(\d{1,2}):(\d{2})\s*([AP]M)?(?:\s*GMT([+-])(\d{2}):?(\d{2}))?/i.exec(
      value.trim(),
    );
  if (!match) return null;
  const [, dd = '', month = '', yyyy = '', h = '0', m = '0', half, sign, oh = '0', om = '0'] = match;
  const time = utc(yyyy, month, dd, hours(h, half), m, '0');
  if (time === null) return null;
  return time - (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
}

function utc(yyyy: string, month: string, dd: string, h: number, m: string, s: string): number | null {
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (monthIndex < 0) return null;
  return Date.UTC(Number(yyyy), monthIndex, Number(dd), h, Number(m), Number(s));
}

/** 12-hour clock to 24: "12 AM" is 0, "12 PM" is 12. */
function hours(h: string, half: string | undefined): number {
  if (!half) return Number(h);
  return (Number(h) % 12) + (half.toUpperCase() === 'PM' ? 12 : 0);
}
