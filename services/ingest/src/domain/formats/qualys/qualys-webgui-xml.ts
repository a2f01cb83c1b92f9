import type { VulnType } from '@q2h/contracts';
import type { DeclaredTotals, ParsedFinding, ParsedVulnerability } from '../../report-model.ts';
import type { ReportFormat } from '../report-format.ts';
import { readXml, type SaxesTagPlain, type XmlContext } from '../xml-stream.ts';
import { scoreAndVector, toIntOrNull } from './qualys-columns.ts';
import { cveIdsIn, isoDate, UNKNOWN_KNOWLEDGE } from './qualys-values.ts';
import { elementEvents, xmlRootName } from './xml-elements.ts';

/** Each section of an <IP> and the type of its items: information and services are kept, not dropped. */
const SECTIONS: Record<string, { item: string; vulnType: VulnType }> = {
  VULNS: { item: 'VULN', vulnType: 'vulnerability' },
  PRACTICES: { item: 'PRACTICE', vulnType: 'practice' },
  INFOS: { item: 'INFO', vulnType: 'information' },
  SERVICES: { item: 'SERVICE', vulnType: 'information' },
};

/** What Qualys writes in the name attribute of an IP it could not resolve (qualys_infrascan_webgui_3.xml). */
const NO_HOSTNAME = 'No registered hostname';

/** One VULN / PRACTICE / INFO / SERVICE element being read, with what its CAT says. */
interface Item {
  line: number;
  qid: string;
  severity: string;
  vulnType: VulnType;
  category: string;
  port: string;
  protocol: string;
  fqdn: string;
  cves: string[];
  cveAttribute: string;
  references: string[];
  texts: Record<string, string>;
}

/**
 * Qualys scan results XML as the WebGUI writes it (SCAN, scan-1.dtd): per IP, sections of QIDs grouped
 * by category (CAT, which may carry the port and protocol). Every item holds its full knowledge, so each
 * finding streams out as its element closes.
 */
export const qualysWebguiScanXml: ReportFormat = {
  dialect: 'qualys-webgui-scan-xml',
  label: 'Qualys scan results, WebGUI (XML)',
  recognises: (head) => xmlRootName(head.text) === 'SCAN',
  read: (source, sink) => readXml(source, scanReader, sink),
};

function scanReader(context: XmlContext) {
  const declared: DeclaredTotals = {
    reportDate: null,
    totalVulns: null,
    activeHosts: null,
    bySeverity: new Map(),
    perIp: new Map(),
  };
  let key = '';
  let host = { ip: '', dns: '', os: '', netbios: '' };
  let section: (typeof SECTIONS)[string] | undefined;
  let cat = { category: '', port: '', protocol: '', fqdn: '' };
  let item: Item | undefined;

  return elementEvents({
    open(tag, path, line) {
      const parent = path.at(-2);
      if (path.length === 1 && tag.name !== 'SCAN') context.fail(`not a Qualys scan XML: root <${tag.name}>`);
      else if (tag.name === 'KEY' && parent === 'HEADER') key = attribute(tag, 'value');
      else if (tag.name === 'IP' && parent === 'SCAN') {
        const name = attribute(tag, 'name');
        host = { ip: attribute(tag, 'value'), dns: name === NO_HOSTNAME ? '' : name, os: '', netbios: '' };
      } else if (parent === 'IP' && Object.hasOwn(SECTIONS, tag.name)) section = SECTIONS[tag.name];
      else if (tag.name === 'CAT' && section) {
        cat = {
          category: attribute(tag, 'value'),
          port: attribute(tag, 'port'),
          protocol: attribute(tag, 'protocol'),
          fqdn: attribute(tag, 'fqdn'),
        };
      } else if (section && parent === 'CAT' && tag.name === section.item) {
        item = {
          category: cat.category,
          port: cat.port,
          protocol: cat.protocol,
          fqdn: cat.fqdn,
          line,
          qid: attribute(tag, 'number'),
          severity: attribute(tag, 'severity'),
          vulnType: section.vulnType,
          cves: [],
          cveAttribute: attribute(tag, 'cveid'),
          references: [],
          texts: {},
        };
      }
    },
    close(name, text, path) {
      const parent = path.at(-1);
      if (name === 'KEY' && parent === 'HEADER') {
        if (key === 'DATE') declared.reportDate = isoDate(text);
        else if (key === 'NBHOST_ALIVE') declared.activeHosts = toIntOrNull(text);
      } else if (parent === 'IP' && name === 'OS') host.os = text.trim();
      else if (parent === 'IP' && name === 'NETBIOS_HOSTNAME') host.netbios = text.trim();
      else if (Object.hasOwn(SECTIONS, name)) section = undefined;
      else if (!item) return;
      else if (parent === section?.item) item.texts[name] = name === 'RESULT' ? text : text.trim();
      else if (name === 'ID' && parent === 'CVE_ID') item.cves.push(...cveIdsIn(text));
      else if (name === 'ID' && parent === 'VENDOR_REFERENCE') item.references.push(text.trim());
      else if (name === section?.item) {
        const emitted = findingOf(host, item, declared.reportDate);
        if (typeof emitted === 'string') return context.fail(emitted);
        context.emit(emitted);
        item = undefined;
      }
    },
    end: () => ({ declared }),
  });
}

function findingOf(
  host: { ip: string; dns: string; os: string; netbios: string },
  item: Item,
  scanned: number | null,
) {
  const { qid, texts } = item;
  if (!/^\d+$/.test(qid)) return `a QID element without a numeric number attribute ("${qid}")`;
  const severity = Number.parseInt(item.severity, 10);
  if (!(severity >= 1 && severity <= 5))
    return `QID ${qid}: severity "${item.severity}" is not between 1 and 5`;
  if (!host.ip) return 'an IP element without a value attribute';
  const finding: ParsedFinding = {
    line: item.line,
    source: 'qualys',
    vulnKey: qid,
    severity,
    scannerSeverity: item.severity,
    vulnType: item.vulnType,
    ip: host.ip,
    dns: host.dns,
    netbios: host.netbios,
    os: host.os,
    hostId: '',
    trackingMethod: '',
    network: '',
    port: toIntOrNull(item.port),
    protocol: item.protocol.toLowerCase(),
    fqdn: item.fqdn,
    ssl: false,
    status: '',
    firstDetected: null,
    // The scan's date: its items carry none of their own.
    lastDetected: scanned,
    timesDetected: null,
    results: texts['RESULT'] ?? '',
  };
  return { finding, vulnerability: vulnerabilityOf(item, severity) };
}

/** The item's vulnerability, built only if its QID is new to the import. */
function vulnerabilityOf(item: Item, severity: number): () => ParsedVulnerability {
  return () => {
    const { qid, texts } = item;
    const cvss = scoreAndVector(texts['CVSS_BASE'] ?? '');
    const cvss3 = scoreAndVector(texts['CVSS3_BASE'] ?? '');
    return {
      ...UNKNOWN_KNOWLEDGE,
      source: 'qualys',
      vulnKey: qid,
      title: texts['TITLE'] ?? '',
      severity,
      vulnType: item.vulnType,
      category: item.category,
      cves: item.cves.length > 0 ? item.cves : cveIdsIn(item.cveAttribute),
      vendorReferences: item.references.join(', '),
      cvssBase: cvss.score,
      cvssVector: cvss.vector,
      cvss3Base: cvss3.score,
      cvss3Vector: cvss3.vector,
      threat: texts['DIAGNOSIS'] ?? '',
      impact: texts['CONSEQUENCE'] ?? '',
      solution: texts['SOLUTION'] ?? '',
      pciVuln: texts['PCI_FLAG'] === '1',
    };
  };
}

/**
 * An attribute of a start tag, trimmed; '' when absent. A module function, not a closure made per
 * element: tsx names every function created at run time with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function attribute(tag: SaxesTagPlain, name: string): string {
  return String(tag.attributes[name] ?? '').trim();
}
