import type { VulnType } from '@q2h/contracts';
import type { ParsedFinding, ParsedVulnerability } from '../../report-model.ts';
import type { FindingsSink, ReportFormat } from '../report-format.ts';
import { readXml, type XmlContext } from '../xml-stream.ts';
import { qualysType, scoreAndVector, toIntOrNull } from './qualys-columns.ts';
import { cveIdsIn, isoDate, UNKNOWN_KNOWLEDGE } from './qualys-values.ts';
import { elementEvents, xmlRootName } from './xml-elements.ts';

const ROOT = 'ASSET_DATA_REPORT';

/** A QID as the GLOSSARY describes it; the type (Vuln, Practice, Ig) belongs to each detection. */
type GlossaryEntry = Omit<ParsedVulnerability, 'source' | 'vulnKey' | 'vulnType'> & {
  scannerSeverity: string;
};

/** A VULN_DETAILS element being read. */
type EntryDraft = { -readonly [K in keyof GlossaryEntry]: GlossaryEntry[K] } & {
  qid: string;
  cves: string[];
  references: string[];
};

/** What the first pass learns: every QID's knowledge, and when the report was generated. */
interface Glossary {
  entries: Map<string, GlossaryEntry>;
  generated: number | null;
}

const NO_FINDINGS: FindingsSink = { accept: async () => 'continue' };

/**
 * Qualys VM host-based XML report (ASSET_DATA_REPORT): HOST_LIST holds the detections, the GLOSSARY
 * after it the QIDs' title, severity and texts. A detection's severity is known only from the glossary,
 * so the file is read twice: first the glossary (memory: one entry per QID of the report), then the
 * hosts, each finding streamed with its complete knowledge. No finding is emitted before the whole file
 * has been parsed once, so a truncated report fails without a partial import.
 */
export const qualysAssetDataXml: ReportFormat = {
  dialect: 'qualys-asset-data-xml',
  label: 'Qualys Asset Data Report (XML)',
  recognises: (head) => xmlRootName(head.text) === ROOT,
  async read(source, sink) {
    const glossary: Glossary = { entries: new Map(), generated: null };
    const first = await readXml(source, (context) => glossaryReader(glossary, context), NO_FINDINGS);
    if (first.kind !== 'ok') return first;
    return readXml(source, (context) => hostsReader(glossary, context), sink);
  },
};

function glossaryReader(glossary: Glossary, context: XmlContext) {
  let entry: EntryDraft | undefined;
  return elementEvents({
    open(tag, path) {
      if (path.length === 1 && tag.name !== ROOT)
        context.fail(`not a Qualys ASSET_DATA_REPORT: root <${tag.name}>`);
      if (tag.name === 'VULN_DETAILS') {
        entry = {
          ...UNKNOWN_KNOWLEDGE,
          qid: '',
          title: '',
          severity: 0,
          scannerSeverity: '',
          cves: [],
          references: [],
        };
      }
    },
    close(name, text, path) {
      const parent = path.at(-1);
      if (name === 'GENERATION_DATETIME' && parent === 'HEADER') glossary.generated = isoDate(text);
      if (!entry) return;
      if (name === 'VULN_DETAILS') {
        const { qid, references, ...knowledge } = entry;
        if (!/^\d+$/.test(qid)) return context.fail(`VULN_DETAILS without a numeric QID ("${qid}")`);
        if (!(knowledge.severity >= 1 && knowledge.severity <= 5)) {
          return context.fail(`QID ${qid}: SEVERITY "${knowledge.scannerSeverity}" is not between 1 and 5`);
        }
        glossary.entries.set(qid, { ...knowledge, vendorReferences: references.join(', ') });
        entry = undefined;
      } else if (parent === 'VULN_DETAILS') {
        detail(entry, name, text.trim());
      } else if (name === 'ID' && parent === 'CVE_ID') {
        entry.cves.push(...cveIdsIn(text));
      } else if (name === 'ID' && parent === 'VENDOR_REFERENCE') {
        entry.references.push(text.trim());
      } else if (name === 'CVSS_BASE' && parent === 'CVSS_SCORE') {
        ({ score: entry.cvssBase, vector: entry.cvssVector } = scoreAndVector(text));
      } else if (name === 'CVSS3_BASE' && parent === 'CVSS3_SCORE') {
        ({ score: entry.cvss3Base, vector: entry.cvss3Vector } = scoreAndVector(text));
      }
    },
  });
}

function detail(entry: EntryDraft, name: string, text: string) {
  if (name === 'QID') entry.qid = text;
  else if (name === 'TITLE') entry.title = text;
  else if (name === 'SEVERITY') {
    entry.scannerSeverity = text;
    entry.severity = Number.parseInt(text, 10);
  } else if (name === 'CATEGORY') entry.category = text;
  else if (name === 'THREAT') entry.threat = text;
  else if (name === 'IMPACT') entry.impact = text;
  else if (name === 'SOLUTION') entry.solution = text;
  else if (name === 'PCI_FLAG') entry.pciVuln = text === '1';
}

/** The HOST fields a detection inherits (IP_INTERFACES holds more IPs: only HOST's own children count). */
const HOST_FIELDS = {
  IP: 'ip',
  DNS: 'dns',
  NETBIOS: 'netbios',
  OPERATING_SYSTEM: 'os',
  TRACKING_METHOD: 'trackingMethod',
  QG_HOSTID: 'hostId',
} as const;

type Host = Record<(typeof HOST_FIELDS)[keyof typeof HOST_FIELDS], string>;
type Detection = Record<
  | 'qid'
  | 'type'
  | 'port'
  | 'protocol'
  | 'fqdn'
  | 'ssl'
  | 'result'
  | 'firstFound'
  | 'lastFound'
  | 'timesFound'
  | 'status',
  string
> & { line: number };

const DETECTION_FIELDS: Record<string, keyof Omit<Detection, 'line'>> = {
  QID: 'qid',
  TYPE: 'type',
  PORT: 'port',
  PROTOCOL: 'protocol',
  FQDN: 'fqdn',
  SSL: 'ssl',
  RESULT: 'result',
  FIRST_FOUND: 'firstFound',
  LAST_FOUND: 'lastFound',
  TIMES_FOUND: 'timesFound',
  VULN_STATUS: 'status',
};

function hostsReader(glossary: Glossary, context: XmlContext) {
  let host: Host = blankHost();
  let detection: Detection | undefined;
  return elementEvents({
    open(tag, _path, line) {
      if (tag.name === 'HOST') host = blankHost();
      else if (tag.name === 'VULN_INFO') detection = blankDetection(line);
    },
    close(name, text, path) {
      const parent = path.at(-1);
      if (parent === 'HOST' && Object.hasOwn(HOST_FIELDS, name)) {
        host[HOST_FIELDS[name as keyof typeof HOST_FIELDS]] = text.trim();
      } else if (detection && parent === 'VULN_INFO' && Object.hasOwn(DETECTION_FIELDS, name)) {
        const field = DETECTION_FIELDS[name] as keyof Omit<Detection, 'line'>;
        detection[field] = field === 'result' ? text : text.trim();
      } else if (detection && name === 'VULN_INFO') {
        const emitted = findingOf(host, detection, glossary);
        if (typeof emitted === 'string') return context.fail(emitted);
        context.emit(emitted);
        detection = undefined;
      }
    },
    end: () => ({
      declared: {
        reportDate: glossary.generated,
        // RISK_SCORE_SUMMARY's TOTAL_VULNERABILITIES leaves Practice detections out (299 for 301 in
        // Qualys_Sample_Report.xml): comparing it with the findings would warn on every sound report.
        totalVulns: null,
        activeHosts: null,
        bySeverity: new Map(),
        perIp: new Map(),
      },
    }),
  });
}

function findingOf(host: Host, detection: Detection, glossary: Glossary) {
  const { qid } = detection;
  if (!/^\d+$/.test(qid)) return `VULN_INFO without a numeric QID ("${qid}")`;
  const known = glossary.entries.get(qid);
  if (!known) return `QID ${qid} has no VULN_DETAILS in the GLOSSARY: its title and severity are unknown`;
  if (!host.ip && !host.dns && !host.netbios) return 'HOST without an IP, DNS or NetBIOS name';
  const vulnType = qualysType(detection.type);
  const finding: ParsedFinding = {
    line: detection.line,
    source: 'qualys',
    vulnKey: qid,
    severity: known.severity,
    scannerSeverity: known.scannerSeverity,
    vulnType,
    ip: host.ip,
    dns: host.dns,
    netbios: host.netbios,
    os: host.os,
    hostId: host.hostId,
    trackingMethod: host.trackingMethod,
    network: '',
    port: toIntOrNull(detection.port),
    protocol: detection.protocol.toLowerCase(),
    fqdn: detection.fqdn,
    ssl: detection.ssl === 'true',
    status: detection.status,
    firstDetected: isoDate(detection.firstFound),
    lastDetected: isoDate(detection.lastFound),
    timesDetected: toIntOrNull(detection.timesFound),
    results: detection.result,
  };
  return { finding, vulnerability: vulnerabilityOf(known, qid, vulnType) };
}

/**
 * The detection's vulnerability from the glossary, built only if its QID is new to the import. Made
 * here, not as a closure per detection: tsx names every function created at run time with a
 * defineProperty (see fieldText in csv-records.ts).
 */
function vulnerabilityOf(known: GlossaryEntry, qid: string, vulnType: VulnType): () => ParsedVulnerability {
  return () => {
    const { scannerSeverity: _, ...knowledge } = known;
    return { ...knowledge, source: 'qualys', vulnKey: qid, vulnType };
  };
}

function blankHost(): Host {
  return { ip: '', dns: '', netbios: '', os: '', trackingMethod: '', hostId: '' };
}

function blankDetection(line: number): Detection {
  return {
    line,
    qid: '',
    type: '',
    port: '',
    protocol: '',
    fqdn: '',
    ssl: '',
    result: '',
    firstFound: '',
    lastFound: '',
    timesFound: '',
    status: '',
  };
}
