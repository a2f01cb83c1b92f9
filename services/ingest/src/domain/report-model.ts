import type { CoherenceResult, VulnType } from '@q2h/contracts';

/** What a dialect parser extracts from one detail row: the per-instance part of a finding. */
export interface ParsedFinding {
  readonly line: number;
  readonly source: string;
  readonly vulnKey: string;
  readonly severity: number;
  readonly vulnType: VulnType;
  readonly ip: string;
  readonly dns: string;
  readonly netbios: string;
  readonly os: string;
  readonly hostId: string;
  readonly trackingMethod: string;
  readonly port: number | null;
  readonly protocol: string;
  readonly fqdn: string;
  readonly ssl: boolean;
  readonly status: string;
  readonly firstDetected: number | null;
  readonly lastDetected: number | null;
  readonly timesDetected: number | null;
  readonly results: string;
}

/** The per-vulnerability part, emitted once per vulnerability per import. */
export interface ParsedVulnerability {
  readonly source: string;
  readonly vulnKey: string;
  readonly title: string;
  readonly severity: number;
  readonly vulnType: VulnType;
  readonly category: string;
  readonly cves: string[];
  readonly vendorReferences: string;
  readonly cvssBase: number | null;
  readonly cvssVector: string;
  readonly cvss3Base: number | null;
  readonly cvss3Vector: string;
  readonly threat: string;
  readonly impact: string;
  readonly solution: string;
  readonly pciVuln: boolean;
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
  | { kind: 'finding'; finding: ParsedFinding; vulnerability: ParsedVulnerability }
  | { kind: 'skip' }
  | { kind: 'invalid'; reason: string };

export type { CoherenceResult };
