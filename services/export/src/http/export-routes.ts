import { once } from 'node:events';
import type { Analytics } from '@q2h/analytics';
import { ProblemError, problem } from '@q2h/platform';
import { ViewFilterParams } from '@q2h/query';
import { Router } from 'express';
import { findingsCsv } from '../domain/findings-export.ts';

/** GET /exports/findings.csv: the findings of the overview's filter, streamed with backpressure. */
export function exportRouter(deps: { analytics: Analytics }): Router {
  const router = Router();
  router.get('/exports/findings.csv', async (req, res) => {
    const parsed = ViewFilterParams.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProblemError(problem(400, 'invalid-filter', `${issue?.path.join('.')}: ${issue?.message}`));
    }
    res.status(200).type('text/csv; charset=utf-8');
    res.setHeader(
      'content-disposition',
      `attachment; filename="q2h-findings-${new Date().toISOString().slice(0, 10)}.csv"`,
    );
    for await (const chunk of findingsCsv(deps.analytics, {
      tenant: req.principal!.tenant,
      ...parsed.data,
    })) {
      if (!res.write(chunk)) await once(res, 'drain');
    }
    res.end();
  });
  return router;
}
