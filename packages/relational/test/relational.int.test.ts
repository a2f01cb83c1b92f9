import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openPgliteRelational, openPostgresRelational, type Relational } from '../src/relational.ts';
import { relationalContract } from './relational.contract.ts';

const opened: Relational[] = [];

let pglite: Relational | undefined;
relationalContract('pglite', async () => {
  pglite ??= openPgliteRelational(mkdtempSync(join(tmpdir(), 'q2h-pglite-')));
  opened.push(pglite);
  return pglite;
});

// PostgreSQL of the machine (127.0.0.1:5432, or Q2H_TEST_PG_URL): a fresh database per run.
const adminUrl = process.env.Q2H_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `q2h_contract_${process.pid}_${Date.now()}`;
let postgres: Relational | undefined;
beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
});
relationalContract('postgresql', async () => {
  postgres ??= openPostgresRelational(adminUrl.replace(/\/[^/]*$/, `/${database}`));
  opened.push(postgres);
  return postgres;
});

afterAll(async () => {
  await Promise.all([...new Set(opened)].map((db) => db.destroy()));
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.end();
});
