import type { VulnType } from '@q2h/contracts';
import type { ParsedFinding, ParsedVulnerability, RowResult } from '../../report-model.ts';
import { NO_CVSS, withCvss } from '../cvss.ts';
import { isObject, type JsonObject, numberAt, objectAt, text, texts } from './json-values.ts';
import { nucleiTarget } from './nuclei-target.ts';

/** Nuclei's severities on q2h's 1–5. "unknown", a missing one or any other value count as information. */
const SEVERITY: Readonly<Record<string, number>> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

/**
 * One Nuclei result (a JSONL line or an element of the JSON export) as a q2h finding, keyed by template
 * and matcher: `tech-detect:nginx`, `http-missing-security-headers:x-frame-options`. The matcher is part
 * of the vulnerability because one template reports each matcher as a finding of its own (11 missing
 * headers on one URL in issue_14071.json, 2 technologies in multiple_matches.json): keyed by template
 * only, they would share one finding key and the latest state would keep one of them.
 *
 * Keys of three generations are read: templateID / matcher_name / matched / extracted_results (2021),
 * then template-id / matcher-name / matched-at / extracted-results.
 */
export function nucleiFinding(document: unknown, line: number): RowResult {
  if (!isObject(document)) return { kind: 'invalid', reason: 'expected a Nuclei result (a JSON object)' };
  const templateId = (text(document['template-id']) || text(document.templateID)).trim();
  if (!templateId) return { kind: 'invalid', reason: 'not a Nuclei result: it has no template-id' };
  // With -matcher-status, Nuclei also writes the templates that did not match.
  if (document['matcher-status'] === false) return { kind: 'skip' };
  // A result that names no target cannot be put on an asset (issue_14071.json: a DNS template run
  // against no host name, its query for "."): it is not counted.
  const target = nucleiTarget(document);
  if (!target) return { kind: 'skip' };

  const info = objectAt(document.info);
  const scannerSeverity = text(info.severity);
  const severity = SEVERITY[scannerSeverity.trim().toLowerCase()] ?? 1;
  const vulnType: VulnType = severity === 1 ? 'information' : 'vulnerability';
  const matcher = (text(document['matcher-name']) || text(document.matcher_name)).trim();
  const vulnKey = matcher ? `${templateId}:${matcher}` : templateId;
  const matchedAt = text(document['matched-at']) || text(document.matched) || text(document.url);
  const extracted = texts(document['extracted-results'] ?? document.extracted_results);

  const finding: ParsedFinding = {
    line,
    source: 'nuclei',
    vulnKey,
    severity,
    vulnType,
    ip: target.ip,
    dns: target.hostName,
    netbios: '',
    os: '',
    hostId: '',
    trackingMethod: '',
    port: target.port,
    protocol: target.protocol,
    fqdn: target.hostName,
    ssl: target.ssl,
    status: '',
    firstDetected: null,
    lastDetected: nucleiTime(text(document.timestamp)),
    timesDetected: null,
    results: [matchedAt, ...extracted]
      .map((value) => value.trim())
      .filter((value) => value !== '')
      .join('\n'),
    network: '',
    scannerSeverity,
  };
  return {
    kind: 'finding',
    finding,
    vulnerability: vulnerabilityOf(document, info, templateId, matcher, vulnKey, severity, vulnType),
  };
}

/**
 * The result's vulnerability, built only for its key's first finding. Made here, not as a closure inside
 * nucleiFinding: tsx names every function created per result with a defineProperty (see fieldText in
 * csv-records.ts).
 */
function vulnerabilityOf(
  document: JsonObject,
  info: JsonObject,
  templateId: string,
  matcher: string,
  vulnKey: string,
  severity: number,
  vulnType: VulnType,
): () => ParsedVulnerability {
  return () => {
    const classification = objectAt(info.classification);
    const name = text(info.name).trim() || templateId;
    return {
      source: 'nuclei',
      vulnKey,
      title: matcher ? `${name}: ${matcher}` : name,
      severity,
      vulnType,
      category: templateFolder(text(document.template)),
      cves: [...new Set(texts(classification['cve-id']).map((cve) => cve.trim().toUpperCase()))],
      // The contract has no CWE field: CWE ids lead the references.
      vendorReferences: [
        ...texts(classification['cwe-id']).map((cwe) => cwe.trim().toUpperCase()),
        ...references(info.reference),
      ].join(', '),
      ...cvssOf(text(classification['cvss-metrics']).trim(), numberAt(classification['cvss-score'])),
      threat: text(info.description).trim(),
      impact: text(info.impact).trim(),
      solution: text(info.remediation).trim(),
      pciVuln: false,
      epss: probability(numberAt(classification['epss-score'])),
    };
  };
}

/** The score goes with the version its vector names; without a vector it is CVSS 3 (templates' rule). */
const cvssOf = (vector: string, score: number | null) => withCvss(NO_CVSS, score, vector, 'v3');

/** `reference` is a list (2022+) or, in 2021 results, one string: a URL or a "- url" line per URL. */
function references(value: unknown): string[] {
  return texts(value)
    .flatMap((item) => item.split('\n'))
    .map((item) => item.replace(/^\s*-\s*/, '').trim())
    .filter((item) => item !== '');
}

/** "http/exposures/configs/git-config.yaml" → "http/exposures/configs"; '' in 2021 results (no template). */
function templateFolder(template: string): string {
  const slash = template.lastIndexOf('/');
  return slash < 0 ? '' : template.slice(0, slash);
}

function probability(value: number | null): number | null {
  return value !== null && value >= 0 && value <= 1 ? value : null;
}

/**
 * Nuclei timestamps: RFC 3339 with up to nanoseconds and a zone ("2026-01-12T13:46:54.716706997Z",
 * "2021-05-20T11:11:01.667748+03:00"); without a zone, UTC. Milliseconds are kept, the rest dropped.
 */
export function nucleiTime(value: string): number | null {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      value.trim(),
    );
  if (!match) return null;
  const [, year, month, day, hours, minutes, seconds, fraction = '', zone = 'Z'] = match;
  const utc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hours),
    Number(minutes),
    Number(seconds),
    Number(fraction.slice(0, 3).padEnd(3, '0')),
  );
  if (zone.toUpperCase() === 'Z') return utc;
  const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2));
  return utc - (zone.startsWith('-') ? -offset : offset) * 60_000;
}
