import type { Overview, OverviewFilter } from './overview-query.ts';

/**
 * Overviews by tenant and filter, kept while the latest state's version stays the same (see
 * ImportCatalog.latestStateVersion): dashboards refreshing during a long import cost one catalog
 * lookup instead of four analytics queries, and identical requests in flight share one computation.
 * A Map in insertion order is the whole LRU: small enough not to need a library.
 */
export class OverviewCache {
  private readonly entries = new Map<string, { version: string; overview: Promise<Overview> }>();

  constructor(private readonly maxEntries = 256) {}

  get(filter: OverviewFilter, version: string, compute: () => Promise<Overview>): Promise<Overview> {
    const key = JSON.stringify([filter.tenant, [...filter.severities].sort(), filter.report ?? '']);
    const hit = this.entries.get(key);
    this.entries.delete(key);
    if (hit?.version === version) {
      this.entries.set(key, hit); // most recently used last
      return hit.overview;
    }
    const overview = compute();
    const entry = { version, overview };
    this.entries.set(key, entry);
    overview.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return overview;
  }
}
