import type { CoherenceResult, FindingObserved, VulnerabilityDefined } from '@q2h/contracts';

/** Fields every event carries that parsers do not know: the import job adds them. */
type EventEnvelope = 'type' | 'eventId' | 'tenant' | 'importId' | 'occurredAt';

/** What a dialect parser extracts from one detail row: the per-instance part of a finding. */
export type ParsedFinding = Omit<FindingObserved, EventEnvelope | 'ordinal' | 'findingKey' | 'scannedAt'>;

/** The per-vulnerability part, emitted once per vulnerability per import. */
export type ParsedVulnerability = Omit<VulnerabilityDefined, EventEnvelope>;

/** Totals a report declares about itself (the Scan Report preamble), checked against its rows. */
export interface DeclaredTotals {
  reportDate: number | null;
  totalVulns: number | null;
  activeHosts: number | null;
  bySeverity: Map<number, number>;
  perIp: Map<string, number>;
}

export type RowResult =
  /** `vulnerability()` builds the per-QID record; called only for the first row of each QID. */
  | { kind: 'finding'; finding: ParsedFinding; vulnerability: () => ParsedVulnerability }
  | { kind: 'skip' }
  | { kind: 'invalid'; reason: string };

export type { CoherenceResult };
