import { eventIdOf, Topics } from '@q2h/contracts';
import { ProblemError, problem } from '@q2h/platform';
import { Router } from 'express';
import type { EventPublisher } from '../domain/import-job.ts';

/** What the catalog knows of an import (the ingest target does not keep it). */
export type FindImport = (tenant: string, id: string) => Promise<{ status: string } | undefined>;

/**
 * DELETE /imports/{id}: an ImportRetracted event. A finished import's findings leave the latest state
 * (the previous observation of each, if any, becomes latest again); a running one is cancelled first,
 * so nothing of it counts. History keeps every fact. Repeating the call changes nothing.
 */
export function retractRouter(deps: {
  publisher: EventPublisher;
  findImport: FindImport;
  /** Stops the job if it runs in this process. */
  cancelRunning: (tenant: string, id: string) => void;
}): Router {
  const router = Router();
  router.delete('/imports/:id', async (req, res) => {
    const { tenant, username } = req.principal!;
    const id = req.params.id;
    const found = await deps.findImport(tenant, id);
    if (!found) throw new ProblemError(problem(404, 'import-not-found', `no import ${id}`));
    if (found.status === 'retracted') {
      res.status(200).json({ id, status: 'retracted' });
      return;
    }
    const reason = found.status === 'done' || found.status === 'failed' ? 'deleted' : 'cancelled';
    if (reason === 'cancelled') deps.cancelRunning(tenant, id);
    await deps.publisher.publish(Topics.imports, [
      {
        type: 'ImportRetracted',
        eventId: eventIdOf(id, 'retracted'),
        tenant,
        importId: id,
        occurredAt: Date.now(),
        reason,
        by: username,
      },
    ]);
    res.status(202).json({ id, status: 'retracted', reason });
  });
  return router;
}
