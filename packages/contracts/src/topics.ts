import type { FindingEvent, ImportEvent, KnowledgeEvent } from './events.ts';

/** Topic names carry their contract version; a breaking change is a new topic. */
export const Topics = {
  imports: 'q2h.imports.v1',
  kb: 'q2h.kb.v1',
  findings: 'q2h.findings.v1',
  dlq: 'q2h.dlq.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export interface TopicEvents {
  'q2h.imports.v1': ImportEvent;
  'q2h.kb.v1': KnowledgeEvent;
  'q2h.findings.v1': FindingEvent;
}
export type DataTopic = keyof TopicEvents;

/** Which record types each topic carries, in union order (append only: BACKWARD compatible). */
export const topicRecords: Record<DataTopic, readonly string[]> = {
  'q2h.imports.v1': [
    'ImportAccepted',
    'ImportProgressed',
    'ImportCompleted',
    'ImportFailed',
    'CoherenceChecked',
    'ImportRetracted',
  ],
  'q2h.kb.v1': ['VulnerabilityDefined'],
  'q2h.findings.v1': ['FindingObserved'],
};

/** Partition key: tenant|asset, so one asset's events stay in order; import events keyed by import. */
export function keyOf(event: ImportEvent | KnowledgeEvent | FindingEvent): string {
  switch (event.type) {
    case 'FindingObserved':
      return `${event.tenant}|${event.ip || event.fqdn || event.dns || event.netbios}`;
    case 'VulnerabilityDefined':
      return `${event.tenant}|${event.source}:${event.vulnKey}`;
    default:
      return `${event.tenant}|${event.importId}`;
  }
}
