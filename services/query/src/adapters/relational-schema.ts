import { type Migration, migrate, type Relational } from '@q2h/relational';

/** The import catalog and its coherence results (the projector owns them). */
const migrations: Migration[] = [
  {
    name: '0001_import_catalog',
    up: async (db) => {
      await db.schema.createTable('imports', (t) => {
        t.string('tenant').notNullable();
        t.string('id').notNullable();
        t.text('filename').notNullable();
        t.string('dialect').notNullable();
        t.string('encoding').notNullable();
        t.string('sha256').notNullable();
        t.bigInteger('sequence').notNullable();
        t.string('status').notNullable();
        t.bigInteger('rows_done').notNullable().defaultTo(0);
        t.bigInteger('bytes_done').notNullable().defaultTo(0);
        t.bigInteger('bytes_total').notNullable().defaultTo(0);
        t.bigInteger('findings').notNullable().defaultTo(0);
        t.bigInteger('hosts').notNullable().defaultTo(0);
        t.bigInteger('error_line');
        t.text('error_reason');
        t.bigInteger('declared_total_vulns');
        t.bigInteger('declared_active_hosts');
        t.bigInteger('scanned_at');
        t.timestamp('created_at', { useTz: true }).notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable();
        t.primary(['tenant', 'id']);
        t.index(['tenant', 'created_at']);
        t.index(['tenant', 'sha256']);
      });
      await db.schema.createTable('coherence_results', (t) => {
        t.string('tenant').notNullable();
        t.string('import_id').notNullable();
        t.integer('position').notNullable();
        t.string('check').notNullable();
        t.text('entity');
        t.text('expected').notNullable();
        t.text('actual').notNullable();
        t.string('level').notNullable();
        t.primary(['tenant', 'import_id', 'position']);
      });
    },
  },
];

export async function migrateCatalog(db: Relational): Promise<void> {
  await migrate(db, migrations, 'query_migrations');
}
