import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@q2h/platform';
import { openPgliteRelational, openPostgresRelational, type Relational } from '@q2h/relational';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportJob } from '../src/domain/import-job.ts';
import type { ImportService } from '../src/import-service.ts';
import { FolderPoller } from '../src/watched-folders/folder-poller.ts';
import { STALE_CLAIM_MS, WatchedFolderStore } from '../src/watched-folders/watched-folder-store.ts';
import { fixture } from './fixtures.ts';

/** Counts what the pollers admit; never says "duplicate", so only the claim can stop a second import. */
function countingService() {
  const admitted: ImportJob[] = [];
  const service = {
    begin: () => ({ outcome: new Promise(() => {}), verdict: () => {} }),
    discard: () => {},
    admitUnlessDuplicate: async (job: ImportJob) => {
      admitted.push(job);
      return { kind: 'admitted' };
    },
  } as unknown as ImportService;
  return { service, admitted };
}

function storeSuite(name: string, open: () => Promise<[Relational, Relational]>) {
  describe(`watched folder store: ${name}`, () => {
    let dbs: [Relational, Relational];
    beforeAll(async () => {
      dbs = await open();
      await new WatchedFolderStore(dbs[0]).migrate();
      await new WatchedFolderStore(dbs[1]).migrate(); // a second replica starting: nothing to do
    });
    afterAll(async () => {
      await Promise.all([...new Set(dbs)].map((db) => db.destroy()));
    });

    it('given two ingest replicas polling one folder, when a report settles, then only one imports it', async () => {
      const folderPath = mkdtempSync(join(tmpdir(), 'q2h-watched-'));
      const store = new WatchedFolderStore(dbs[0]);
      const folder = await store.create({
        tenant: 't1',
        path: folderPath,
        enabled: true,
        ignoreBefore: null,
        createdBy: 'admin',
      });
      copyFileSync(fixture('qualys_scan_report/scan_report_4_hosts.csv'), join(folderPath, 'scan.csv'));
      const { service, admitted } = countingService();
      const replicas = dbs.map(
        (db) =>
          new FolderPoller({
            store: new WatchedFolderStore(db),
            service,
            uploadDir: mkdtempSync(join(tmpdir(), 'q2h-uploads-')),
            maxBytes: 2 ** 30,
            intervalMs: 60_000,
            logger: createLogger('silent'),
          }),
      );
      for (let listing = 0; listing < 3; listing++) await Promise.all(replicas.map((r) => r.scanAll()));
      expect(admitted).toHaveLength(1);
      expect(admitted[0]).toMatchObject({ tenant: 't1', filename: 'scan.csv', bytesTotal: 10400 });
      const [file] = await store.recentFiles('t1', [folder!.id], 10);
      expect(file).toMatchObject({ name: 'scan.csv', status: 'imported', importId: admitted[0]!.importId });
      expect((await store.get('t1', folder!.id))?.scanStatus).toBe('ok');
    });

    it('given a claim whose poller died, when it is older than the lease, then another poller takes it over', async () => {
      const store = new WatchedFolderStore(dbs[1]);
      const version = { tenant: 't1', folderId: 'f-stale', name: 'a.csv', size: 10, mtimeMs: 1000 };
      const now = Date.now();
      expect(await store.claim(version, new Date(now - STALE_CLAIM_MS - 1000))).toBe('won');
      expect(await store.claim(version, new Date(now - STALE_CLAIM_MS + 60_000))).toBe('busy');
      expect(await store.claim(version, new Date(now))).toBe('won');
      await store.settle(version, { status: 'rejected', reason: 'not a report' });
      expect(await store.claim(version, new Date(now + STALE_CLAIM_MS * 2))).toBe('settled');
    });

    it('keeps tenants apart and one folder per path per tenant', async () => {
      const store = new WatchedFolderStore(dbs[0]);
      const path = mkdtempSync(join(tmpdir(), 'q2h-watched-'));
      const input = { path, enabled: false, ignoreBefore: null, createdBy: 'admin' };
      const mine = await store.create({ ...input, tenant: 't2' });
      expect(await store.create({ ...input, tenant: 't2' })).toBeUndefined();
      expect(await store.create({ ...input, tenant: 't3' })).toBeDefined();
      expect(await store.get('t3', mine!.id)).toBeUndefined();
      expect(await store.remove('t3', mine!.id)).toBe(false);
      expect((await store.list('t2')).map((f) => f.path)).toEqual([path]);
    });
  });
}

storeSuite('pglite', async () => {
  const db = openPgliteRelational(mkdtempSync(join(tmpdir(), 'q2h-pglite-')));
  return [db, db];
});

// PostgreSQL of the machine (127.0.0.1:5432, or Q2H_TEST_PG_URL): a fresh database, two connection
// pools as two replicas would have.
const adminUrl = process.env.Q2H_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `q2h_watched_${process.pid}_${Date.now()}`;
storeSuite('postgresql', async () => {
  const admin = openPostgresRelational(adminUrl);
  await admin.raw(`CREATE DATABASE ${database}`);
  await admin.destroy();
  const url = adminUrl.replace(/\/[^/]*$/, `/${database}`);
  return [openPostgresRelational(url), openPostgresRelational(url)];
});
afterAll(async () => {
  const admin = openPostgresRelational(adminUrl);
  await admin.raw(`DROP DATABASE IF EXISTS ${database}`);
  await admin.destroy();
});
