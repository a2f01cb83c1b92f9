import type { CoherenceResult, FindingObserved, VulnerabilityDefined } from '@q2h/contracts';

/** Fields every event carries that parsers do not know: the import job adds them. */
type EventEnvelope = 'type' | 'eventId' | 'tenant' | 'importId' | 'occurredAt';

/** What a format reader extracts for one finding: the per-instance part (asset, port, results…). */
export type ParsedFinding = Omit<FindingObserved, EventEnvelope | 'ordinal' | 'findingKey' | 'scannedAt'>;

/** The per-vulnerability part (title, CVEs, CVSS, texts), emitted once per vulnerability per import. */
export type ParsedVulnerability = Omit<VulnerabilityDefined, EventEnvelope>;

/** One finding as a reader emits it. */
export interface EmittedFinding {
  finding: ParsedFinding;
  /** Builds the vulnerability's record; called only for the first finding of each vulnerability key. */
  vulnerability: () => ParsedVulnerability;
}

/** Totals a report declares about itself (the Scan Report preamble), checked against its rows. */
export interface DeclaredTotals {
  reportDate: number | null;
  totalVulns: number | null;
  activeHosts: number | null;
  bySeverity: Map<number, number>;
  perIp: Map<string, number>;
}

export type RowResult =
  | ({ kind: 'finding' } & EmittedFinding)
  | { kind: 'skip' }
  | { kind: 'invalid'; reason: string };

/** The asset a finding is about: its IP, else its FQDN / DNS name / NetBIOS name (Nuclei gives URLs only). */
export function assetOf(finding: Pick<ParsedFinding, 'ip' | 'fqdn' | 'dns' | 'netbios'>): string {
  return finding.ip || finding.fqdn || finding.dns || finding.netbios;
}

export type { CoherenceResult };
