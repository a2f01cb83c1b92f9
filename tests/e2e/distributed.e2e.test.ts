// Distributed mode on the real engines, each q2h target its own process (tests/support/distributed-stack.ts):
// the API through the gateway with Keycloak tokens, the browser's single sign-on, and the faults the
// issue lists — an undecodable message, the projector killed mid-batch, the broker killed mid-import,
// Keycloak down. One stack for the whole file: starting it takes a minute or two.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateScanReport } from '@q2h/bench/generate-scan-report';
import { Kafka, logLevel } from 'kafkajs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DistributedStack, startDistributedStack, USERS } from '../support/distributed-stack.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = '/work/shared/fixtures/scans/qualys_scan_report';
const scratch = mkdtempSync(path.join(tmpdir(), 'q2h-dist-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: DistributedStack;
let analyst = '';

interface Reply {
  status: number;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes
  body: any;
}

async function call(url: string, init: RequestInit & { token?: string } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${stack.url}${url}`, { ...init, headers, redirect: 'manual' });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, body: type.includes('json') && text ? JSON.parse(text) : text };
}

function upload(file: string, token = analyst): Promise<Reply> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(file)]), path.basename(file));
  return call('/api/imports', { method: 'POST', body: form, token });
}

async function waitForImport(id: string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { body } = await call(`/api/imports/${id}`, { token: analyst });
    if (body.status === 'done' || body.status === 'failed') return body;
    await sleep(250);
  }
  throw new Error(`import ${id} did not finish in ${timeoutMs} ms`);
}

async function waitForProgress(id: string, minRows: number) {
  for (let i = 0; i < 400; i++) {
    const { body } = await call(`/api/imports/${id}`, { token: analyst });
    if (body.rowsDone >= minRows || body.status === 'done') return body;
    await sleep(100);
  }
  throw new Error(`import ${id} made no progress`);
}

const overview = async (report?: string) =>
  (await call(`/api/overview${report ? `?report=${report}` : ''}`, { token: analyst })).body;

describe('distributed mode: Kafka, Apicurio, Keycloak, PostgreSQL, one process per target', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'web/dist/index.html'))) {
      execFileSync('npm', ['run', 'build', '-w', '@q2h/web'], { cwd: repoRoot, stdio: 'inherit' });
    }
    stack = await startDistributedStack();
    analyst = await stack.token(USERS.analyst);
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('given a Keycloak token, when a Scan Report is uploaded through the gateway, then ingest, Kafka and the projector make 11 findings, 4 hosts, 5 critical queryable', async () => {
    const accepted = await upload(path.join(fixtures, 'scan_report_4_hosts.csv'));
    expect(accepted.status).toBe(202);
    const done = await waitForImport(accepted.body.id);
    expect(done).toMatchObject({ status: 'done', findings: 11, hosts: 4 });
    expect(await overview(accepted.body.id)).toMatchObject({ findings: 11, hosts: 4, critical: 5 });

    const csv = await call('/api/exports/findings.csv', { token: analyst });
    expect(csv.status).toBe(200);
    expect(csv.body.trim().split('\n')).toHaveLength(1 + 11);
  });

  it('answers 401 without a token or with a forged one, 403 to a viewer uploading and to a tenant the stack does not serve', async () => {
    expect((await call('/api/overview')).status).toBe(401);
    expect((await call('/api/overview', { token: `${analyst.slice(0, -4)}AAAA` })).status).toBe(401);
    const viewer = await stack.token(USERS.viewer);
    expect((await call('/api/overview', { token: viewer })).status).toBe(200);
    const refused = await upload(path.join(fixtures, 'scan_report_4_hosts.csv'), viewer);
    expect(refused.status).toBe(403);
    expect(refused.type).toContain('application/problem+json');
    const other = await call('/api/overview', { token: await stack.token(USERS.otherTenant) });
    expect(other.status).toBe(403);
    expect(other.body.detail).toMatch(/tenant "other"/);
  });

  it('given a browser, when the user signs in through Keycloak, then the overview shows the imported findings', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${stack.url}/login`);
      await page.locator('#q2h-login-sso').click();
      // Keycloak's own login form
      await page.locator('#username').fill(USERS.analyst.username);
      await page.locator('#password').fill(USERS.analyst.password);
      await page.locator('#kc-login').click();
      await page.waitForURL(/\/overview/, { timeout: 60_000 });
      await expect
        .poll(async () => ((await page.getByTestId('kpi-findings').textContent()) ?? '').trim(), {
          timeout: 30_000,
        })
        .not.toBe('');
      await page.screenshot({ path: path.join(repoRoot, 'tests/e2e/screenshots/distributed-overview.png') });
      expect(Number(((await page.getByTestId('kpi-findings').textContent()) ?? '').replace(/\D/g, ''))).toBe(
        (await overview()).findings,
      );
    } finally {
      await browser.close();
    }
  });

  it('given an undecodable message on the findings topic, then it lands in the dead-letter topic and projection goes on', async () => {
    const kafka = new Kafka({
      brokers: stack.kafka.brokers,
      clientId: 'q2h-test',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'q2h.findings.v1',
      messages: [{ key: 'garbage', value: Buffer.from('not avro') }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'q2h.dlq.v1', fromBeginning: true });
    const dead = new Promise<Record<string, string>>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() !== 'garbage') return;
          resolve(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        },
      });
    });
    const headers = await dead;
    await consumer.disconnect();
    expect(headers).toMatchObject({
      sourceTopic: 'q2h.findings.v1',
      error: expect.stringContaining('wire format'),
    });

    const next = await upload(path.join(fixtures, 'scan_report_incoherent.csv'));
    expect((await waitForImport(next.body.id)).status).toBe('done');
  });

  it('given the projector killed mid-import and restarted, then the counts equal the truth', async () => {
    const file = path.join(scratch, 'projector-kill.csv');
    const plan = await generateScanReport({ targetBytes: 30 * 2 ** 20, seed: 11, out: file });
    const accepted = await upload(file);
    expect(accepted.status).toBe(202);
    await waitForProgress(accepted.body.id, 1000);
    await stack.targets.read.kill();
    await sleep(2000);
    await stack.targets.read.start();
    const done = await waitForImport(accepted.body.id);
    expect(done).toMatchObject({ status: 'done', findings: plan.rows });
    expect((await overview(accepted.body.id)).findings).toBe(plan.rows);
  });

  it('given the Kafka broker killed mid-import and restarted, then the import completes or fails cleanly and a retry counts every finding once', async () => {
    const file = path.join(scratch, 'broker-kill.csv');
    const plan = await generateScanReport({ targetBytes: 30 * 2 ** 20, seed: 12, out: file });
    const accepted = await upload(file);
    expect(accepted.status).toBe(202);
    await waitForProgress(accepted.body.id, 1000);
    await stack.kafka.kill();
    await sleep(3000);
    await stack.kafka.restart();
    let outcome = await waitForImport(accepted.body.id, 300_000);
    if (outcome.status === 'failed') {
      // A clean failure says why; the same file can be uploaded again.
      expect(outcome.error?.reason).toBeTruthy();
      const retried = await upload(file);
      outcome = await waitForImport(retried.body.id, 300_000);
    }
    expect(outcome).toMatchObject({ status: 'done', findings: plan.rows });
    expect((await overview(outcome.id)).findings).toBe(plan.rows);
  });

  it('given Keycloak down, then issued tokens keep working (cached keys) and a new login gets a 503 problem body', async () => {
    const before = await overview();
    await stack.keycloak.kill();
    const after = await call('/api/overview', { token: analyst });
    expect(after.status).toBe(200);
    expect(after.body.findings).toBe(before.findings);
    const login = await call('/api/auth/sso');
    expect(login.status).toBe(503);
    expect(login.type).toContain('application/problem+json');
    expect(login.body.detail).toMatch(/single sign-on is unavailable/);
  });
});
