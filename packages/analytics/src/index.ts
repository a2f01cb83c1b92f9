export * from './analytics.ts';
export * from './clickhouse-analytics.ts';
