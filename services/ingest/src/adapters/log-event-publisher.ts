import { type DataTopic, keyOf, type Serde, type TopicEvents } from '@q2h/contracts';
import type { EventLog } from '@q2h/event-log';
import type { Metrics } from '@q2h/platform';
import type { EventPublisher } from '../domain/import-job.ts';

/** Publishes events on the event log through the one Avro serde, keyed tenant|asset. */
export function logEventPublisher(log: EventLog, serde: Serde, metrics?: Metrics): EventPublisher {
  return {
    async publish<T extends DataTopic>(topic: T, events: readonly TopicEvents[T][]) {
      if (events.length === 0) return;
      await log.publish(
        topic,
        events.map((event) => ({ key: keyOf(event), value: serde.encode(topic, event) })),
      );
      metrics?.eventsPublished.inc({ topic }, events.length);
    },
  };
}
