import { Topics } from '@q2h/contracts';
import type { TopicSpec } from '@q2h/event-log';

/**
 * Partitions per topic. Keys keep one asset's findings (and one import's lifecycle) in order within a
 * partition; the projector scales out to the findings topic's partition count.
 */
export function topicLayout(mode: 'embedded' | 'distributed'): TopicSpec[] {
  const findings = mode === 'embedded' ? 4 : 12;
  return [
    { name: Topics.imports, partitions: mode === 'embedded' ? 1 : 3 },
    { name: Topics.kb, partitions: mode === 'embedded' ? 2 : 6 },
    { name: Topics.findings, partitions: findings },
    { name: Topics.dlq, partitions: 1 },
  ];
}
