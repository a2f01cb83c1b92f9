import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process; every target registers into it and /metrics exposes it. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'q2h_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rowsIngested: new Counter({
      name: 'q2h_ingest_rows_total',
      help: 'Report rows parsed',
      labelNames: ['dialect'],
      registers: [registry],
    }),
    bytesIngested: new Counter({
      name: 'q2h_ingest_bytes_total',
      help: 'Report bytes parsed',
      labelNames: ['dialect'],
      registers: [registry],
    }),
    eventsPublished: new Counter({
      name: 'q2h_events_published_total',
      help: 'Events appended to the event log',
      labelNames: ['topic'],
      registers: [registry],
    }),
    projectionLag: new Gauge({
      name: 'q2h_projection_lag_records',
      help: 'Records on a topic not yet projected',
      labelNames: ['topic'],
      registers: [registry],
    }),
    projectionDuration: new Histogram({
      name: 'q2h_projection_batch_seconds',
      help: 'Time to project one batch into the read models',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    dlqRecords: new Counter({
      name: 'q2h_dlq_records_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    importsFinished: new Counter({
      name: 'q2h_imports_finished_total',
      help: 'Imports finished, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
