import type { VulnType } from '@q2h/contracts';
import type { ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import type { Cvss } from '../cvss.ts';

/** The CVSS scores of an NVT, each with its vector when the report gives one ('' otherwise). */

/** One OpenVAS / Greenbone result as both exports (CSV row, XML <result>) carry it, texts as written. */
export interface OpenvasResult {
  /** The scanned address as written (anonymised reports hold values such as "192.168.1.1001"). */
  host: string;
  hostname: string;
  port: number | null;
  protocol: string;
  /** "High", "Medium", "Low", "Log", "Critical", "False Positive"… or '' (many_vuln.xml has two). */
  threat: string;
  /** The result's severity score as written, e.g. "10.0". */
  score: string;
  oid: string;
  title: string;
  family: string;
  cves: string[];
  /** References other than CVEs (URLs, CERT advisories, BIDs). */
  references: string[];
  cvss: Cvss;
  summary: string;
  insight: string;
  impact: string;
  solution: string;
  /** What the NVT found on this host and port ("Specific Result" / <description>). */
  output: string;
  detectedAt: number | null;
  epss: number | null;
}

/** Adds a score under its CVSS version, read from its vector: "CVSS:3.1/…", "CVSS:4.0/…", else v2. */

/** Threat levels on q2h's 1-5 scale; "Log" results are information (severity 0.0). */
const THREAT_SEVERITY: ReadonlyMap<string, number> = new Map([
  ['log', 1],
  ['low', 2],
  ['medium', 3],
  ['high', 4],
  ['critical', 5],
]);
/** Results that are not findings: overridden to false positive (severity -1), scanner debug (-2) or error (-3). */
const NOT_FINDINGS = new Set(['false positive', 'debug', 'error']);

/**
 * The result as a q2h finding: one per result, keyed by NVT OID. The threat as written decides the
 * severity; an empty threat (many_vuln.xml) falls back to the score on Greenbone's current bands.
 */
export function openvasFinding(result: OpenvasResult, line: number): RowResult {
  if (!result.oid) return { kind: 'invalid', reason: 'the result has no NVT OID' };
  if (!result.host) return { kind: 'invalid', reason: `the result of NVT ${result.oid} has no host` };
  const score = toNumber(result.score);
  const threat = result.threat.trim().toLowerCase();
  if (NOT_FINDINGS.has(threat) || (score !== null && score < 0)) return { kind: 'skip' };
  const severity = threat === '' ? score !== null && scoreSeverity(score) : THREAT_SEVERITY.get(threat);
  if (!severity) {
    const reason = threat
      ? `the threat "${result.threat}", not a Greenbone level`
      : 'neither a threat nor a score';
    return { kind: 'invalid', reason: `the result of NVT ${result.oid} has ${reason}` };
  }
  const vulnType: VulnType = severity === 1 ? 'information' : 'vulnerability';

  const finding: ParsedFinding = {
    line,
    source: 'openvas',
    vulnKey: result.oid,
    severity,
    vulnType,
    ip: result.host,
    dns: result.hostname,
    netbios: '',
    os: '',
    hostId: '',
    trackingMethod: '',
    port: result.port,
    protocol: result.protocol,
    fqdn: '',
    ssl: false,
    status: '',
    firstDetected: null,
    lastDetected: result.detectedAt,
    timesDetected: null,
    results: result.output.trim(),
    network: '',
    scannerSeverity: result.threat || result.score,
  };
  return { kind: 'finding', finding, vulnerability: vulnerabilityOf(result, severity, vulnType) };
}

/**
 * The result's vulnerability, built only for its NVT's first finding. Made here, not as a closure inside
 * openvasFinding: tsx names every function created per result with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function vulnerabilityOf(
  result: OpenvasResult,
  severity: number,
  vulnType: VulnType,
): () => ParsedVulnerability {
  return () => ({
    source: 'openvas',
    vulnKey: result.oid,
    // XML formatters wrap long NVT names (many_vuln.xml): a title is one line.
    title: result.title.replace(/\s+/g, ' ').trim(),
    severity,
    vulnType,
    category: result.family,
    cves: result.cves,
    vendorReferences: result.references.join(', '),
    ...result.cvss,
    threat: [tidy(result.summary), tidy(result.insight)].filter((text) => text !== '').join('\n\n'),
    impact: tidy(result.impact),
    solution: tidy(result.solution),
    pciVuln: false,
    epss: result.epss,
  });
}

/**
 * NVT texts without their line indentation: Greenbone indents continuation lines by two spaces and XML
 * formatters add their own (many_vuln.xml), so the same NVT reads the same from both exports.
 */
function tidy(text: string): string {
  return text.trim().replace(/\n[ \t]+/g, '\n');
}

/** Greenbone's severity bands (gvmd 22.4+): 0 Log, 0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High, 9.0–10 Critical. */
function scoreSeverity(score: number): number {
  if (score === 0) return 1;
  if (score < 4) return 2;
  if (score < 7) return 3;
  return score < 9 ? 4 : 5;
}

/** "443/tcp" → 443/tcp, "general/tcp" → no port, tcp; '' → neither. */
export function portAndProtocol(value: string): { port: number | null; protocol: string } {
  const match = /([\w-]+)\/([\w-]+)/.exec(value);
  if (!match) return { port: null, protocol: '' };
  const port = /^\d+$/.test(match[1]!) ? Number(match[1]) : null;
  return { port, protocol: match[2]!.toLowerCase() };
}

/** Greenbone timestamps: ISO 8601 with Z, an offset ("2025-08-22T16:27:22+02:00") or no zone (UTC). */
export function greenboneDate(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (!match) return null;
  const [, yyyy, mm, dd, h, m, s, fraction = '', zone = 'Z'] = match;
  const utc =
    Date.UTC(Number(yyyy), Number(mm) - 1, Number(dd), Number(h), Number(m), Number(s)) +
    Math.floor(Number(`0${fraction}`) * 1000);
  if (zone === 'Z') return utc;
  const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2));
  return utc - (zone.startsWith('-') ? -offset : offset) * 60_000;
}

/** EPSS probability; anything outside 0..1 is not one. */
export function epssOf(value: string): number | null {
  const epss = toNumber(value);
  return epss !== null && epss >= 0 && epss <= 1 ? epss : null;
}

export function toNumber(value: string): number | null {
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
