export * from './events.ts';
export * from './schemas.ts';
export * from './serde.ts';
export * from './topics.ts';
