import { join } from 'node:path';
import type { Analytics } from '@q2h/analytics';
import type { Serde } from '@q2h/contracts';
import type { EventLog } from '@q2h/event-log';
import type { Config, Logger, Metrics } from '@q2h/platform';
import type { Relational } from '@q2h/relational';
import { createAnalyticsSchema } from './adapters/analytics-schema.ts';
import { migrateCatalog } from './adapters/relational-schema.ts';
import { ImportCatalog } from './domain/import-catalog.ts';
import { Projector } from './domain/projector.ts';
import { queryRouter } from './http/query-routes.ts';

export type { ImportView } from './domain/import-catalog.ts';
export { latestStateQuery, type OverviewFilter, overviewQuery } from './domain/overview-query.ts';
export { ViewFilterParams } from './http/query-routes.ts';
export { ImportCatalog, Projector };

export interface QueryDeps {
  analytics: Analytics;
  relational: Relational;
  logger: Logger;
  metrics: Metrics;
}

/** Creates the read models (idempotent) and the read API. */
export async function startQuery(deps: QueryDeps) {
  await createAnalyticsSchema(deps.analytics);
  await migrateCatalog(deps.relational);
  const catalog = new ImportCatalog(deps.relational);
  return { router: queryRouter({ catalog, analytics: deps.analytics }), catalog };
}

/** Creates the read models (idempotent), then projects the event log into them. */
export async function startProjector(config: Config, deps: QueryDeps & { log: EventLog; serde: Serde }) {
  await createAnalyticsSchema(deps.analytics);
  await migrateCatalog(deps.relational);
  const projector = new Projector({
    ...deps,
    tmpDir: join(config.dataDir, 'tmp'),
    logger: deps.logger.child({ target: 'projector' }),
  });
  await projector.start();
  return projector;
}
