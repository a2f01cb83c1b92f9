import type { Analytics } from '@q2h/analytics';
import { exportRouter } from './http/export-routes.ts';

export { csvCell, csvLine } from './domain/csv-cell.ts';

/** The export target: streamed CSV of any view (PDF comes with the export issue). */
export function startExport(deps: { analytics: Analytics }) {
  return { router: exportRouter(deps) };
}
