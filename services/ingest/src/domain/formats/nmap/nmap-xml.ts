import type { ReportFormat } from '../report-format.ts';
import { readXml, type SaxesTagPlain, type XmlContext, type XmlHandlers } from '../xml-stream.ts';
import { type NmapHost, type NmapPort, portFindings, type VulnersEntry } from './nmap-findings.ts';

/** The root element of nmap's -oX output, after its prolog (declaration, DOCTYPE, stylesheet, comment). */
const NMAPRUN = /<nmaprun[\s>]/;

/** The port being read, until its state says whether it is a finding. */
interface PortBeingRead extends NmapPort {
  state: string;
}

/**
 * Reads an nmap run host by host: a host's open ports become findings when the host closes, because
 * its OS guess (<os>) comes after its <ports>. Memory: one host's ports and vulners entries.
 */
function nmapRun(context: XmlContext): XmlHandlers {
  const names: string[] = [];
  let sawRoot = false;
  let scanStart: number | null = null;
  let host: (NmapHost & { ports: NmapPort[] }) | undefined;
  let port: PortBeingRead | undefined;
  /** Inside <script id="vulners">: the CPE group being read and, below it, the entry being read. */
  let vulners: { cpe: string; entry: Map<string, string> | undefined; tables: boolean[] } | undefined;
  let elem: { key: string; text: string } | undefined;

  const open = (tag: SaxesTagPlain) => {
    const parent = names[names.length - 1];
    names.push(tag.name);
    if (tag.name === 'nmaprun' && names.length === 1) {
      sawRoot = true;
      const start = Number.parseInt(attribute(tag, 'start'), 10);
      scanStart = Number.isFinite(start) ? start * 1000 : null;
    } else if (tag.name === 'host' && parent === 'nmaprun') {
      host = { ip: '', hostnames: [], os: '', ports: [] };
    } else if (!host) {
      return;
    } else if (tag.name === 'address' && parent === 'host') {
      const type = attribute(tag, 'addrtype');
      if (!host.ip && (type === 'ipv4' || type === 'ipv6')) host.ip = attribute(tag, 'addr');
    } else if (tag.name === 'hostname' && parent === 'hostnames') {
      const name = attribute(tag, 'name');
      if (name) host.hostnames.push({ name: name.toLowerCase(), type: attribute(tag, 'type') });
    } else if (tag.name === 'osmatch' && parent === 'os') {
      // nmap lists OS matches best first.
      host.os ||= attribute(tag, 'name');
    } else if (tag.name === 'port' && parent === 'ports') {
      port = {
        line: context.line(),
        port: Number.parseInt(attribute(tag, 'portid'), 10),
        protocol: attribute(tag, 'protocol').toLowerCase(),
        state: '',
        service: { name: '', product: '', version: '', extrainfo: '', tunnel: '' },
        vulners: [],
      };
    } else if (!port) {
      return;
    } else if (tag.name === 'state' && parent === 'port') {
      port.state = attribute(tag, 'state');
    } else if (tag.name === 'service' && parent === 'port') {
      port.service = {
        name: attribute(tag, 'name'),
        product: attribute(tag, 'product'),
        version: attribute(tag, 'version'),
        extrainfo: attribute(tag, 'extrainfo'),
        tunnel: attribute(tag, 'tunnel'),
      };
    } else if (tag.name === 'script' && parent === 'port' && attribute(tag, 'id') === 'vulners') {
      vulners = { cpe: '', entry: undefined, tables: [] };
    } else if (vulners && tag.name === 'table') {
      // <table key="cpe:/a:openbsd:openssh:7.4"> groups the entries: <table> of <elem key="id|cvss|type|is_exploit">.
      const key = tag.attributes.key;
      if (key === undefined) vulners.entry = new Map();
      else vulners.cpe = key;
      vulners.tables.push(key === undefined);
    } else if (vulners?.entry && tag.name === 'elem') {
      elem = { key: attribute(tag, 'key'), text: '' };
    }
  };

  const close = (name: string) => {
    names.pop();
    if (elem && name === 'elem') {
      vulners?.entry?.set(elem.key, elem.text.trim());
      elem = undefined;
    } else if (vulners && name === 'table') {
      if (vulners.tables.pop() && vulners.entry && port) addEntry(port, vulners.cpe, vulners.entry);
      vulners.entry = undefined;
    } else if (vulners && name === 'script') {
      vulners = undefined;
    } else if (port && name === 'port') {
      if (port.state === 'open' && Number.isInteger(port.port)) host?.ports.push(port);
      port = undefined;
    } else if (host && name === 'host') {
      if (!host.ip && host.hostnames.length === 0) {
        context.fail('a <host> without an IP address or host name');
        return;
      }
      for (const openPort of host.ports) {
        for (const finding of portFindings(host, openPort, scanStart)) context.emit(finding);
      }
      host = undefined;
    }
  };

  return {
    open,
    text(text) {
      if (elem) elem.text += text;
    },
    close,
    end: () => (sawRoot ? { declared: null } : { refused: 'no <nmaprun> element: not an nmap XML report' }),
  };
}

/** An entry once per port: the same id under two CPEs of one service would repeat its finding key. */
function addEntry(port: NmapPort, cpe: string, elems: Map<string, string>): void {
  const id = elems.get('id') ?? '';
  if (!id || port.vulners.some((entry) => entry.id === id)) return;
  const entry: VulnersEntry = {
    cpe,
    id,
    cvss: elems.get('cvss') ?? '',
    type: elems.get('type') ?? '',
    isExploit: elems.get('is_exploit') === 'true',
  };
  port.vulners.push(entry);
}

function attribute(tag: SaxesTagPlain, name: string): string {
  return tag.attributes[name]?.trim() ?? '';
}

/** nmap's XML output (-oX): open ports as information findings, `vulners` script entries as vulnerabilities. */
export const nmapXml: ReportFormat = {
  dialect: 'nmap-xml',
  label: 'nmap scan (XML)',
  recognises: ({ text }) => /^\s*</.test(text) && NMAPRUN.test(text),
  read: (source, sink) => readXml(source, nmapRun, sink),
};
