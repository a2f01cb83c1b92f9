export * from './event-log.ts';
export { type KafkaEventLogOptions, openKafkaEventLog } from './kafka-event-log.ts';
export { type LmdbEventLogOptions, openLmdbEventLog } from './lmdb-event-log.ts';
