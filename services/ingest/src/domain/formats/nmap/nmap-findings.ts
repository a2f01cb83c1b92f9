import type { EmittedFinding, ParsedFinding, ParsedVulnerability } from '../../report-model.ts';
import { NO_CVSS } from '../cvss.ts';

/** What q2h keeps of an nmap <host>: its addresses, names and best OS guess. */
export interface NmapHost {
  ip: string;
  /** <hostname name type>: "user" (the name the scan was given), "PTR" (reverse DNS), others. */
  hostnames: { name: string; type: string }[];
  os: string;
}

/** An open <port> of a host, with its detected service and the entries of its `vulners` script. */
export interface NmapPort {
  line: number;
  port: number;
  protocol: string;
  service: { name: string; product: string; version: string; extrainfo: string; tunnel: string };
  vulners: VulnersEntry[];
}

/** One vulnerability or exploit the vulners script lists for a CPE of the port's service. */
export interface VulnersEntry {
  cpe: string;
  id: string;
  /** As written, e.g. "5.0". */
  cvss: string;
  /** Vulners' collection: cve, exploitdb, metasploit, packetstorm… */
  type: string;
  isExploit: boolean;
}

/**
 * The findings of one open port: one per vulners entry (keyed by its id), then the open port itself
 * (information, keyed `open-port:<port>/<protocol>`), in DefectDojo's order. All are dated by the
 * scan's start: nmap dates the run, not each detection.
 */
export function portFindings(host: NmapHost, port: NmapPort, scanStart: number | null): EmittedFinding[] {
  const dns = host.hostnames.find((h) => h.type === 'PTR')?.name ?? host.hostnames[0]?.name ?? '';
  const base = {
    line: port.line,
    source: 'nmap',
    ip: host.ip,
    dns,
    netbios: '',
    os: host.os,
    hostId: '',
    trackingMethod: '',
    port: port.port,
    protocol: port.protocol,
    fqdn: host.hostnames.find((h) => h.type === 'user')?.name ?? '',
    ssl: port.service.tunnel === 'ssl' || port.service.name === 'https',
    status: '',
    firstDetected: null,
    lastDetected: scanStart,
    timesDetected: null,
    network: '',
  } satisfies Partial<ParsedFinding>;
  const software = [port.service.product, port.service.version].filter((part) => part !== '').join(' ');

  const findings = port.vulners.map((entry): EmittedFinding => {
    const score = cvssScore(entry.cvss);
    const severity = cvssSeverity(score);
    const finding: ParsedFinding = {
      ...base,
      vulnKey: entry.id,
      severity,
      vulnType: 'vulnerability',
      results: software ? `${software} (${entry.cpe})` : entry.cpe,
      scannerSeverity: entry.cvss,
    };
    return { finding, vulnerability: vulnersVulnerability(entry, score, severity) };
  });

  const vulnKey = `open-port:${port.port}/${port.protocol}`;
  const service = port.service.tunnel ? `${port.service.tunnel}/${port.service.name}` : port.service.name;
  const description = [software, port.service.extrainfo && `(${port.service.extrainfo})`]
    .filter((part) => part !== '')
    .join(' ');
  findings.push({
    finding: {
      ...base,
      vulnKey,
      severity: 1,
      vulnType: 'information',
      results: [service, description].filter((part) => part !== '').join(': '),
      scannerSeverity: '',
    },
    vulnerability: openPortVulnerability(port, vulnKey),
  });
  return findings;
}

/**
 * A vulners entry's vulnerability, built only for the first finding of its id. Made here, not as a closure
 * per entry: tsx names every function created at run time with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function vulnersVulnerability(
  entry: VulnersEntry,
  score: number | null,
  severity: number,
): () => ParsedVulnerability {
  return () => ({
    source: 'nmap',
    vulnKey: entry.id,
    title: entry.id,
    severity,
    vulnType: 'vulnerability',
    category: entry.type ? `vulners ${entry.type}` : 'vulners',
    cves: [...new Set(entry.id.toUpperCase().match(/CVE-\d{4}-\d{4,}/g) ?? [])],
    vendorReferences: entry.type ? `https://vulners.com/${entry.type}/${entry.id}` : '',
    ...NO_CVSS,
    cvssBase: score,
    threat: entry.isExploit ? 'Vulners lists this entry as an exploit.' : '',
    impact: '',
    solution: '',
    pciVuln: false,
    epss: null,
  });
}

/** The open port's vulnerability (information), built only for the first finding of its key. */
function openPortVulnerability(port: NmapPort, vulnKey: string): () => ParsedVulnerability {
  return () => ({
    source: 'nmap',
    vulnKey,
    title: `Open port: ${port.port}/${port.protocol}`,
    severity: 1,
    vulnType: 'information',
    category: 'open port',
    cves: [],
    vendorReferences: '',
    ...NO_CVSS,
    threat: '',
    impact: '',
    solution: '',
    pciVuln: false,
    epss: null,
  });
}

function cvssScore(value: string): number | null {
  const score = value.trim() === '' ? Number.NaN : Number(value);
  return score >= 0 && score <= 10 ? score : null;
}

/** CVSS on q2h's 1–5 (NVD's bands): 0 or none → 1, 0.1–3.9 → 2, 4.0–6.9 → 3, 7.0–8.9 → 4, 9.0–10 → 5. */
export function cvssSeverity(score: number | null): number {
  if (score === null || score === 0) return 1;
  if (score < 4) return 2;
  if (score < 7) return 3;
  return score < 9 ? 4 : 5;
}
