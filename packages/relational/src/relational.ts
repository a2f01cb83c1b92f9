import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';

/**
 * The relational port is knex itself: the same query builder, SQL and migrations on PGlite
 * (embedded) and PostgreSQL (distributed). Services own their migrations and pass them in.
 */
export type Relational = Knex;

export interface Migration {
  /** Unique, ordered name (e.g. '0001_imports'); knex records each once in its migrations table. */
  readonly name: string;
  up(db: Knex): Promise<void>;
}

export async function migrate(
  db: Relational,
  migrations: readonly Migration[],
  tableName: string,
): Promise<void> {
  await db.migrate.latest({
    tableName,
    migrationSource: {
      getMigrations: async () => [...migrations],
      getMigrationName: (m: Migration) => m.name,
      getMigration: async (m: Migration) => ({ up: m.up, down: async () => {} }),
    },
  });
}

/** Embedded: PGlite on local disk (first open runs initdb, ~5 s). */
export function openPgliteRelational(dataDir: string): Relational {
  return knexFactory({ client: ClientPgLite, dialect: 'postgres', connection: { filename: dataDir } });
}

/** Distributed: PostgreSQL through pg. */
export function openPostgresRelational(connectionString: string): Relational {
  return knexFactory({ client: 'pg', connection: connectionString, pool: { min: 0, max: 10 } });
}
