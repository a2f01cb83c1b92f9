import { describe, expect, it } from 'vitest';
import { type Migration, migrate, type Relational } from '../src/relational.ts';

const migrations: Migration[] = [
  {
    name: '0001_items',
    up: (db) =>
      db.schema.createTable('contract_items', (t) => {
        t.string('tenant').notNullable();
        t.string('id').notNullable();
        t.integer('count').notNullable().defaultTo(0);
        t.text('note');
        t.primary(['tenant', 'id']);
      }),
  },
];

/** The suite every relational adapter passes: PGlite (embedded) and PostgreSQL (distributed). */
export function relationalContract(name: string, make: () => Promise<Relational>) {
  describe(`Relational contract: ${name}`, () => {
    it('given migrations, when applied twice, then the second run changes nothing', async () => {
      const db = await make();
      await migrate(db, migrations, 'contract_migrations');
      await migrate(db, migrations, 'contract_migrations');
      const applied = await db('contract_migrations').count<{ count: string }[]>({ count: '*' });
      expect(Number(applied[0]?.count)).toBe(1);
    });

    it('given an upsert on the primary key, when repeated, then one row holds the last values', async () => {
      const db = await make();
      await migrate(db, migrations, 'contract_migrations');
      for (const count of [1, 2, 3]) {
        await db('contract_items')
          .insert({ tenant: 't', id: 'upsert', count, note: `it's "n°${count}"` })
          .onConflict(['tenant', 'id'])
          .merge();
      }
      const rows = await db('contract_items').where({ tenant: 't', id: 'upsert' });
      expect(rows).toEqual([{ tenant: 't', id: 'upsert', count: 3, note: `it's "n°3"` }]);
    });

    it('given a transaction that fails, when it rolls back, then nothing of it stays', async () => {
      const db = await make();
      await migrate(db, migrations, 'contract_migrations');
      await expect(
        db.transaction(async (trx) => {
          await trx('contract_items').insert({ tenant: 't', id: 'rolled-back' });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db('contract_items').where({ id: 'rolled-back' })).toEqual([]);
    });

    it('keeps tenants apart on the same id', async () => {
      const db = await make();
      await migrate(db, migrations, 'contract_migrations');
      await db('contract_items')
        .insert([
          { tenant: 'a', id: 'same', count: 1 },
          { tenant: 'b', id: 'same', count: 2 },
        ])
        .onConflict(['tenant', 'id'])
        .merge();
      const a = await db('contract_items').where({ tenant: 'a', id: 'same' }).first();
      expect(a?.count).toBe(1);
    });
  });
}
