import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { Analytics } from '../src/analytics.ts';

/** The suite every analytics adapter passes (chDB here; a ClickHouse server in distributed mode). */
export function analyticsContract(name: string, make: () => Promise<Analytics>) {
  describe(`Analytics contract: ${name}`, () => {
    const table = (suffix: string) => `contract_${suffix}_${Math.random().toString(36).slice(2, 8)}`;

    it('given bound parameters, when a value looks like SQL, then it stays a value', async () => {
      const db = await make();
      const t = table('params');
      await db.command(`CREATE TABLE ${t} (id UInt32, name String) ENGINE = MergeTree ORDER BY id`);
      await db.command(`INSERT INTO ${t} VALUES (1, 'a'), (2, 'b')`);
      const hostile = "a' OR 1=1 --";
      const rows = await db.query<{ n: string }>(`SELECT count() AS n FROM ${t} WHERE name = {name:String}`, {
        name: hostile,
      });
      expect(Number(rows[0]?.n)).toBe(0);
      const some = await db.query<{ id: number }>(
        `SELECT id FROM ${t} WHERE name IN {names:Array(String)} ORDER BY id`,
        {
          names: ['a', 'b'],
        },
      );
      expect(some.map((r) => r.id)).toEqual([1, 2]);
    });

    it('given a file of JSONCompactEachRow rows, when loaded, then every row is queryable', async () => {
      const db = await make();
      const t = table('file');
      await db.command(`CREATE TABLE ${t} (id UInt32, text String) ENGINE = MergeTree ORDER BY id`);
      const dir = await mkdtemp(join(tmpdir(), 'q2h-analytics-'));
      const path = join(dir, 'rows.json');
      const lines = Array.from({ length: 5000 }, (_, i) =>
        JSON.stringify([i, `line ${i}\nwith "quotes", é`]),
      );
      await writeFile(path, `${lines.join('\n')}\n`);
      await db.insertFile(t, path, 'JSONCompactEachRow');
      const [row] = await db.query<{ n: string; t: string }>(
        `SELECT count() AS n, anyIf(text, id = 42) AS t FROM ${t}`,
      );
      expect(Number(row?.n)).toBe(5000);
      expect(row?.t).toBe('line 42\nwith "quotes", é');
    });

    it('given an Avro container file and column names, when loaded, then its fields fill the columns of their names', async () => {
      const db = await make();
      const t = table('avro');
      await db.command(
        `CREATE TABLE ${t} (id UInt64, text String, port Nullable(UInt16)) ENGINE = MergeTree ORDER BY id`,
      );
      const schema = avro.Type.forSchema({
        type: 'record',
        name: 'Row',
        fields: [
          { name: 'ignored', type: 'string' },
          { name: 'text', type: 'string' },
          { name: 'id', type: 'long' },
          { name: 'port', type: ['null', 'int'] },
        ],
      });
      const path = join(await mkdtemp(join(tmpdir(), 'q2h-analytics-')), 'rows.avro');
      const encoder = avro.createFileEncoder(path, schema);
      for (let i = 0; i < 3000; i++) {
        encoder.write({ ignored: 'x', text: `line ${i}\nwith "quotes", é`, id: i, port: i % 2 ? 443 : null });
      }
      await new Promise((resolve) => encoder.end(resolve));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the file stream flushes after the encoder
      await db.insertFile(t, path, 'Avro', ['id', 'text', 'port']);
      const [row] = await db.query<{ n: string; t: string; ports: string }>(
        `SELECT count() AS n, anyIf(text, id = 42) AS t, countIf(port = 443) AS ports FROM ${t}`,
      );
      expect({ ...row, n: Number(row?.n), ports: Number(row?.ports) }).toEqual({
        n: 3000,
        t: 'line 42\nwith "quotes", é',
        ports: 1500,
      });
    });

    it('given a ReplacingMergeTree, when the same key is written twice, then FINAL keeps the newest version', async () => {
      const db = await make();
      const t = table('latest');
      await db.command(
        `CREATE TABLE ${t} (key String, version UInt64, state String) ENGINE = ReplacingMergeTree(version) ORDER BY key`,
      );
      await db.command(`INSERT INTO ${t} VALUES ('k', 2, 'new')`);
      await db.command(`INSERT INTO ${t} VALUES ('k', 1, 'old')`);
      const rows = await db.query<{ state: string }>(`SELECT state FROM ${t} FINAL`);
      expect(rows).toEqual([{ state: 'new' }]);
    });

    it('given a large load, when it runs, then the event loop keeps turning', async () => {
      const db = await make();
      const t = table('big');
      await db.command(`CREATE TABLE ${t} (id UInt64, text String) ENGINE = MergeTree ORDER BY id`);
      let ticks = 0;
      let worstGap = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        worstGap = Math.max(worstGap, now - last);
        last = now;
        ticks++;
      }, 5);
      await db.command(`INSERT INTO ${t} SELECT number, repeat('x', 200) FROM numbers(3000000)`);
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(3);
      // A blocking (sync) engine call would freeze the loop for the whole insert (seconds).
      expect(worstGap).toBeLessThan(250);
      expect(await db.ping()).toBe(true);
    });

    it('given memory released, then the engine keeps answering', async () => {
      const db = await make();
      await db.releaseMemory();
      expect(await db.query<{ n: number }>('SELECT 1 AS n')).toEqual([{ n: 1 }]);
    });
  });
}
