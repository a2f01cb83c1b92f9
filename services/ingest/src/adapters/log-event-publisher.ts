import { type DataTopic, keyOf, type Serde, type TopicEvents } from '@q2h/contracts';
import type { EventLog } from '@q2h/event-log';
import type { Metrics } from '@q2h/platform';
import type { EventPublisher } from '../domain/import-job.ts';

/** Publishes events on the event log through the one Avro serde, keyed tenant|asset. */
export function logEventPublisher(log: EventLog, serde: Serde, metrics?: Metrics): EventPublisher {
  return {
    // Not async: the events are garbage once encoded, instead of staying reachable until they are durable.
    publish<T extends DataTopic>(topic: T, events: readonly TopicEvents[T][]) {
      const count = events.length;
      if (count === 0) return Promise.resolve();
      const records = events.map((event) => ({ key: keyOf(event), value: serde.encode(topic, event) }));
      return log.publish(topic, records).then(() => {
        metrics?.eventsPublished.inc({ topic }, count);
      });
    },
  };
}
