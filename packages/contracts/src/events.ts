/** TS shapes of the Avro records in ../schemas/v1 (a test keeps both in step). Times are epoch milliseconds. */
interface EventBase {
  readonly eventId: string;
  readonly tenant: string;
  readonly importId: string;
  readonly occurredAt: number;
}

export interface ImportAccepted extends EventBase {
  readonly type: 'ImportAccepted';
  readonly sequence: number;
  readonly filename: string;
  readonly sha256: string;
  readonly dialect: string;
  readonly encoding: string;
  readonly bytesTotal: number;
}

export interface ImportProgressed extends EventBase {
  readonly type: 'ImportProgressed';
  readonly rowsDone: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface ImportCompleted extends EventBase {
  readonly type: 'ImportCompleted';
  readonly rowsDone: number;
  readonly bytesDone: number;
  readonly findings: number;
  readonly hosts: number;
  readonly scannedAt: number | null;
  readonly declaredTotalVulns: number | null;
  readonly declaredActiveHosts: number | null;
}

export interface ImportFailed extends EventBase {
  readonly type: 'ImportFailed';
  readonly reason: string;
  readonly line: number | null;
  readonly rowsDone: number;
}

export interface ImportRetracted extends EventBase {
  readonly type: 'ImportRetracted';
  /** 'deleted' (a finished import) or 'cancelled' (one still running). */
  readonly reason: 'deleted' | 'cancelled';
  /** Username of who asked. */
  readonly by: string;
}

export type CoherenceLevel = 'ok' | 'warning' | 'error';

export interface CoherenceResult {
  readonly check: string;
  readonly entity: string | null;
  readonly expected: string;
  readonly actual: string;
  readonly level: CoherenceLevel;
}

export interface CoherenceChecked extends EventBase {
  readonly type: 'CoherenceChecked';
  readonly results: readonly CoherenceResult[];
}

export type VulnType = 'vulnerability' | 'practice' | 'information';

export interface VulnerabilityDefined extends EventBase {
  readonly type: 'VulnerabilityDefined';
  readonly source: string;
  readonly vulnKey: string;
  readonly title: string;
  readonly severity: number;
  readonly vulnType: VulnType;
  readonly category: string;
  readonly cves: readonly string[];
  readonly vendorReferences: string;
  readonly cvssBase: number | null;
  readonly cvssVector: string;
  readonly cvss3Base: number | null;
  readonly cvss3Vector: string;
  readonly threat: string;
  readonly impact: string;
  readonly solution: string;
  readonly pciVuln: boolean;
  readonly cvss4Base: number | null;
  readonly cvss4Vector: string;
  /** EPSS probability 0..1. */
  readonly epss: number | null;
}

export interface FindingObserved extends EventBase {
  readonly type: 'FindingObserved';
  readonly ordinal: number;
  readonly line: number;
  readonly findingKey: string;
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
  readonly scannedAt: number;
  readonly results: string;
  readonly network: string;
  /** The scanner's own severity value, as written ('Critical', 'H', '4'). */
  readonly scannerSeverity: string;
}

export type ImportEvent =
  | ImportAccepted
  | ImportProgressed
  | ImportCompleted
  | ImportFailed
  | CoherenceChecked
  | ImportRetracted;
export type KnowledgeEvent = VulnerabilityDefined;
export type FindingEvent = FindingObserved;
export type AnyEvent = ImportEvent | KnowledgeEvent | FindingEvent;

/** Deterministic event id: redelivery or re-import of the same file yields the same ids. */
export function eventIdOf(importId: string, ordinal: number | string): string {
  return `${importId}:${ordinal}`;
}

export const DEFAULT_TENANT = 'default';
