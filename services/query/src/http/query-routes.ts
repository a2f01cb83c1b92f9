import type { Analytics } from '@q2h/analytics';
import { ProblemError, problem } from '@q2h/platform';
import { Router } from 'express';
import { z } from 'zod';
import type { ImportCatalog } from '../domain/import-catalog.ts';
import { OverviewCache } from '../domain/overview-cache.ts';
import { overviewQuery } from '../domain/overview-query.ts';

/** The filter of every dashboard view (query string), shared by the overview and its exports. */
export const ViewFilterParams = z.object({
  severities: z
    .string()
    .regex(/^[1-5](,[1-5])*$/, 'a comma-separated list of severities 1 to 5, e.g. 4,5')
    .optional()
    .transform((s) => (s ? [...new Set(s.split(',').map(Number))] : [1, 2, 3, 4, 5])),
  report: z
    .string()
    .regex(/^[0-9a-f]{24}$/, 'an import id')
    .optional(),
});

/** The dashboard read API: import catalog and overview. */
export function queryRouter(deps: { catalog: ImportCatalog; analytics: Analytics }): Router {
  const router = Router();
  const overviews = new OverviewCache();
  router.get('/imports', async (req, res) => {
    res.json({ items: await deps.catalog.list(req.principal!.tenant) });
  });
  router.get('/imports/:id', async (req, res) => {
    const view = await deps.catalog.get(req.principal!.tenant, req.params.id);
    if (!view) throw new ProblemError(problem(404, 'import-not-found', `no import ${req.params.id}`));
    res.json(view);
  });
  router.get('/overview', async (req, res) => {
    const parsed = ViewFilterParams.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProblemError(
        problem(400, 'invalid-filter', `${issue?.path.join('.')}: ${issue?.message}`, {
          field: issue?.path.join('.'),
        }),
      );
    }
    const filter = { tenant: req.principal!.tenant, ...parsed.data };
    const compute = () => overviewQuery(deps.analytics, filter);
    // Narrowed to one report, the view also follows that report's history, which grows while it runs.
    if (filter.report) return void res.json(await compute());
    res.json(await overviews.get(filter, await deps.catalog.latestStateVersion(filter.tenant), compute));
  });
  return router;
}
