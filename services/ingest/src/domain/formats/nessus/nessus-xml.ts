import type { ParsedFinding, ParsedVulnerability } from '../../report-model.ts';
import { ConsecutiveRepeats } from '../consecutive-repeats.ts';
import type { ReportFormat } from '../report-format.ts';
import { readXml, type SaxesTagPlain, type XmlContext, type XmlHandlers } from '../xml-stream.ts';
import { type PluginFacts, pluginOutputOf, pluginVulnerability } from './nessus-plugin.ts';
import { nessusVulnType } from './nessus-severity.ts';
import { isIpAddress, nessusHostDate } from './nessus-values.ts';

/** The root of a .nessus v2 file, after an optional XML declaration, comments or doctype. */
const ROOT_AT_START =
  /^(?:\s*(?:<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*>))*\s*<NessusClientData_v2[\s>/]/;

/** Nessus (Professional / Manager / Tenable.io) .nessus v2 export: one finding per ReportItem. */
export const nessusXml: ReportFormat = {
  dialect: 'nessus-xml',
  label: 'Nessus scan (.nessus v2 XML)',
  recognises: (head) => ROOT_AT_START.test(head.text),
  async read(source, sink) {
    const repeats = new ConsecutiveRepeats(sink);
    return repeats.finish(await readXml(source, nessusHandlers, repeats));
  },
};

/** The ReportItem children q2h keeps; the rest (attachments, exploit flags, dates…) is skipped unread. */
const ITEM_CHILDREN = new Set([
  'plugin_name',
  'synopsis',
  'description',
  'solution',
  'see_also',
  'plugin_output',
  'cve',
  'xref',
  'cvss_base_score',
  'cvss_vector',
  'cvss3_base_score',
  'cvss3_vector',
  'cvss4_base_score',
  'cvss4_vector',
  'epss_score',
]);

/** The HostProperties tags q2h keeps (a host has dozens: traceroute hops, CPEs, patch summaries…). */
const HOST_TAGS = new Set([
  'host-ip',
  'host-fqdn',
  'host-rdns',
  'netbios-name',
  'operating-system',
  'HOST_START',
  'HOST_START_TIMESTAMP',
  'HOST_END',
  'HOST_END_TIMESTAMP',
]);

interface Host {
  name: string;
  tags: Map<string, string>;
  /** Built at the host's first ReportItem: Nessus writes HostProperties before the items. */
  asset?: HostAsset;
}

type HostAsset = Pick<ParsedFinding, 'ip' | 'fqdn' | 'dns' | 'netbios' | 'os' | 'lastDetected'>;

interface Item {
  line: number;
  pluginId: string;
  severity: number;
  port: number;
  attributes: Record<string, string>;
  children: Map<string, string>;
  cves: string[];
  xrefs: string[];
}

/** Text being collected: a host tag (element 'tag', named by its name attribute) or a ReportItem child. */
interface Collected {
  element: string;
  name: string;
  text: string;
}

function nessusHandlers(context: XmlContext): XmlHandlers {
  let rootSeen = false;
  let host: Host | undefined;
  let item: Item | undefined;
  let collected: Collected | undefined;

  return {
    open(tag) {
      if (!rootSeen) {
        rootSeen = true;
        if (tag.name !== 'NessusClientData_v2') {
          context.fail(`not a .nessus v2 file: its root element is <${tag.name}>, not <NessusClientData_v2>`);
        }
      } else if (tag.name === 'ReportHost') {
        host = { name: (tag.attributes['name'] ?? '').trim(), tags: new Map() };
      } else if (item) {
        if (ITEM_CHILDREN.has(tag.name)) collected = { element: tag.name, name: tag.name, text: '' };
      } else if (tag.name === 'ReportItem') {
        if (!host) return context.fail('a ReportItem outside a ReportHost');
        const opened = itemOf(tag, context.line());
        if (typeof opened === 'string') return context.fail(opened);
        item = opened;
        host.asset ??= hostAssetOf(host);
      } else if (host && tag.name === 'tag') {
        const name = tag.attributes['name'] ?? '';
        if (HOST_TAGS.has(name)) collected = { element: 'tag', name, text: '' };
      }
    },
    text(text) {
      if (collected) collected.text += text;
    },
    close(name) {
      if (collected?.element === name) {
        const { name: field, text } = collected;
        collected = undefined;
        if (!item) host?.tags.set(field, text.trim());
        else if (field === 'cve') item.cves.push(text);
        else if (field === 'xref') item.xrefs.push(text);
        else item.children.set(field, text);
      } else if (name === 'ReportItem' && item && host?.asset) {
        context.emit(emittedOf(host.asset, item));
        item = undefined;
      } else if (name === 'ReportHost') {
        host = undefined;
      }
    },
    end: () =>
      rootSeen ? { declared: null } : { refused: 'no <NessusClientData_v2> element: not a .nessus file' },
  };
}

/** A ReportItem's attributes checked as it opens (a bad one fails the read on its own line). */
function itemOf(tag: SaxesTagPlain, line: number): Item | string {
  const attributes = tag.attributes;
  const pluginId = (attributes['pluginID'] ?? '').trim();
  if (!/^\d+$/.test(pluginId)) return `ReportItem pluginID "${pluginId}" is not a number`;
  const level = (attributes['severity'] ?? '').trim();
  if (!/^[0-4]$/.test(level)) return `ReportItem severity "${level}" is not between 0 and 4`;
  const port = (attributes['port'] ?? '').trim();
  if (!/^\d+$/.test(port)) return `ReportItem port "${port}" is not a number`;
  return {
    line,
    pluginId,
    severity: Number(level) + 1,
    port: Number(port),
    attributes,
    children: new Map(),
    cves: [],
    xrefs: [],
  };
}

/**
 * The asset of a ReportHost: host-ip, else its name when that is an address; host-rdns, else its name
 * when that is a host name (nessus_v_unknown.xml names hosts "qa3app09"). A .nessus file is one scan:
 * it says when the host was scanned (lastDetected), never when a finding was first seen.
 */
function hostAssetOf(host: Host): HostAsset {
  const nameIsIp = isIpAddress(host.name);
  return {
    ip: hostTag(host, 'host-ip') || (nameIsIp ? host.name : ''),
    fqdn: hostTag(host, 'host-fqdn'),
    dns: hostTag(host, 'host-rdns') || (nameIsIp ? '' : host.name),
    netbios: hostTag(host, 'netbios-name'),
    os: hostTag(host, 'operating-system'),
    lastDetected:
      hostTime(hostTag(host, 'HOST_END_TIMESTAMP'), hostTag(host, 'HOST_END')) ??
      hostTime(hostTag(host, 'HOST_START_TIMESTAMP'), hostTag(host, 'HOST_START')),
  };
}

/** A host tag's text, '' when the host has none. */
function hostTag(host: Host, name: string): string {
  return host.tags.get(name) ?? '';
}

/** The epoch-seconds tag when present (true UTC); the text date is the scanner's local time. */
function hostTime(timestamp: string, text: string): number | null {
  return /^\d+$/.test(timestamp) ? Number(timestamp) * 1000 : nessusHostDate(text);
}

function emittedOf(asset: HostAsset, item: Item) {
  const { attributes, children } = item;
  const serviceName = attributes['svc_name'] ?? '';
  const finding: ParsedFinding = {
    line: item.line,
    source: 'nessus',
    vulnKey: item.pluginId,
    severity: item.severity,
    vulnType: nessusVulnType(item.severity),
    ...asset,
    hostId: '',
    trackingMethod: '',
    // Port 0 is Nessus's "general": a finding about the host, not a service.
    port: item.port === 0 ? null : item.port,
    protocol: (attributes['protocol'] ?? '').trim().toLowerCase(),
    ssl: /https|ssl|tls/i.test(serviceName),
    status: '',
    firstDetected: null,
    timesDetected: null,
    results: pluginOutputOf(childText(children, 'plugin_output')),
    network: '',
    scannerSeverity: attributes['severity'] ?? '',
  };
  const plugin: PluginFacts = {
    id: item.pluginId,
    name: (attributes['pluginName'] ?? '').trim() || childText(children, 'plugin_name').trim(),
    family: (attributes['pluginFamily'] ?? '').trim(),
    severity: item.severity,
    cves: item.cves,
    xrefs: item.xrefs,
    cvss: childText(children, 'cvss_base_score'),
    cvssVector: childText(children, 'cvss_vector'),
    cvss3: childText(children, 'cvss3_base_score'),
    cvss3Vector: childText(children, 'cvss3_vector'),
    cvss4: childText(children, 'cvss4_base_score'),
    cvss4Vector: childText(children, 'cvss4_vector'),
    epss: childText(children, 'epss_score'),
    synopsis: childText(children, 'synopsis'),
    description: childText(children, 'description'),
    solution: childText(children, 'solution'),
    seeAlso: childText(children, 'see_also'),
  };
  return { finding, vulnerability: vulnerabilityOf(plugin) };
}

/**
 * A ReportItem child's text, '' when the item has none. A module function, not a closure made per
 * ReportItem: tsx names every function created at run time with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function childText(children: Map<string, string>, name: string): string {
  return children.get(name) ?? '';
}

/** The finding's vulnerability, built only when parseReport first meets its plugin. */
function vulnerabilityOf(plugin: PluginFacts): () => ParsedVulnerability {
  return () => pluginVulnerability(plugin);
}
