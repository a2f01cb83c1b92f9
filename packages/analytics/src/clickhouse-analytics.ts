import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import type { Analytics, QueryParams } from './analytics.ts';

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

/** The one implementation: @clickhouse/client, over chDB's in-process connection or over HTTP. */
function clickHouseAnalytics(client: ClickHouseClient, engine: 'chdb' | 'http'): Analytics {
  return {
    async command(sql, params?: QueryParams) {
      await client.command({ query: sql, query_params: params ?? {} });
    },
    async query<Row>(sql: string, params?: QueryParams) {
      const result = await client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow' });
      return (await result.json()) as Row[];
    },
    async insertFile(table, filePath, format, columns) {
      const names = columns?.map((c) => `\`${c}\``).join(', ');
      if (engine === 'chdb') {
        await client.command({
          query: names
            ? `INSERT INTO ${table} (${names}) SELECT ${names} FROM file({path:String}, {format:String})`
            : `INSERT INTO ${table} SELECT * FROM file({path:String}, {format:String})`,
          query_params: { path: filePath, format },
        });
      } else if (format === 'Avro') {
        // The client's insert() knows text formats only: the file goes as the body of a plain INSERT.
        const result = await client.exec({
          query: `INSERT INTO ${table}${names ? ` (${names})` : ''} FORMAT Avro`,
          values: createReadStream(filePath),
        });
        result.stream.resume();
      } else {
        await client.insert({
          table,
          values: createReadStream(filePath),
          format,
          ...(columns ? { columns: [...columns] as [string, ...string[]] } : {}),
        });
      }
    },
    async releaseMemory() {
      if (engine === 'chdb') await client.command({ query: 'SYSTEM JEMALLOC PURGE' });
    },
    async ping() {
      const result = await client.ping();
      return result.success;
    },
    async close() {
      await client.close();
    },
  };
}

/**
 * chDB's allocator (jemalloc) keeps freed pages 10 s by default; here 2 s, and the projector hands them
 * back when an import's findings are in and again when it is promoted (`releaseMemory`). Pages kept
 * between inserts are reused by the next one instead of being faulted in afresh, which on a VM can cost
 * 10+ µs a page. Returned after 250 ms (the setting until the ninth session), a 2 GiB import faulted
 * ~300k pages in chDB's threads and took 19.6–25.4 s; now ~170k and 15.8–16.6 s, with 10–20 MB more
 * RSS growth (5 s: the same speed, ~40 MB more). `thp:always` asks for transparent huge pages (where
 * the kernel grants them on request, its "madvise" mode): 2 MiB faulted at once, 1.5–3x cheaper per
 * byte there; chDB's faults per 1 GiB import ~100k → ~25k, 2 GiB ~12 % less CPU, ~10–35 MB more peak
 * (ADR 0004). jemalloc reads this when chDB loads, hence the import here and not at the top
 * (distributed mode never loads chDB); an operator's own JE_MALLOC_CONF wins.
 */
const CHDB_ALLOCATOR = 'dirty_decay_ms:2000,muzzy_decay_ms:0,thp:always';

/** Embedded: chDB in this process, data under `path` (one process per directory). */
export async function openChdbAnalytics(path: string): Promise<Analytics> {
  process.env.JE_MALLOC_CONF ??= CHDB_ALLOCATOR;
  const { createChdbConnection } = await import('chdb/connection');
  await mkdir(path, { recursive: true });
  // chdb types its Connection against @clickhouse/client-common, the client against its bundled copy: same shape.
  const connection = createChdbConnection({ path }) as unknown as ClientConnection;
  const client = createClient({ connection });
  return clickHouseAnalytics(client, 'chdb');
}

/** Distributed: a ClickHouse server over HTTP. */
export function openHttpAnalytics(options: {
  url: string;
  username?: string;
  password?: string;
  database?: string;
}) {
  return clickHouseAnalytics(createClient(options), 'http');
}
