/**
 * The analytics port: ClickHouse SQL, the same statements on chDB (embedded) and a ClickHouse server.
 * Parameters are always bound ({name:Type} placeholders), never spliced into SQL.
 */
export type QueryParams = Record<string, unknown>;

export interface Analytics {
  command(sql: string, params?: QueryParams): Promise<void>;
  query<Row>(sql: string, params?: QueryParams): Promise<Row[]>;
  /**
   * Loads a file of rows in `format` into `table`. chDB reads it natively (INSERT … SELECT FROM file(),
   * the fastest path measured: ~230k rows/s); a server adapter streams the file over HTTP.
   * Without `columns`, the file holds every column in table order; with them, the file's fields of
   * those names fill those columns (an Avro file names its fields) and other fields are ignored.
   */
  insertFile(
    table: string,
    filePath: string,
    format: 'JSONCompactEachRow' | 'JSONEachRow' | 'Avro',
    columns?: readonly string[],
  ): Promise<void>;
  /**
   * Hands the engine's freed memory back to the system now. Embedded, chDB's allocator keeps freed
   * pages for a while so that the next insert reuses them; call this when a burst of work is over.
   * A ClickHouse server manages its own memory: a no-op there.
   */
  releaseMemory(): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
