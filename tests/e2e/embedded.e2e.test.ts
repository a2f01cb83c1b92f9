// End to end: the real server (auth-gateway with everything embedded) + the built SPA + Chromium.
// Scenario: first login of the bootstrap admin (forced password change), upload a coherent and an
// incoherent Qualys scan report, check the overview KPIs and the coherence badge/detail.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = path.join(repoRoot, 'tests/e2e/screenshots');
const fixtures = '/work/shared/fixtures/scans/qualys_scan_report';
const happyFile = path.join(fixtures, 'scan_report_4_hosts.csv');
const incoherentFile = path.join(fixtures, 'scan_report_incoherent.csv');
const serverEntry = 'services/auth-gateway/src/main.ts';

const INITIAL_PASSWORD = 'Initial-Admin-Pass-1!';
const NEW_PASSWORD = 'Changed-Admin-Pass-2!';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: ChildProcess | undefined;
let serverExit: string | null = null;
const serverLog: string[] = [];
let dataDir = '';
let baseUrl = '';
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

function logTail(): string {
  return serverLog.slice(-60).join('');
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (serverExit !== null) throw new Error(`server exited (${serverExit}) before ready:\n${logTail()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = String(e);
    }
    await sleep(500);
  }
  throw new Error(`server not ready after ${timeoutMs} ms (${last}):\n${logTail()}`);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

function importRow(filename: string): Locator {
  return page.getByTestId('import-row').filter({ hasText: filename }).first();
}

async function uploadAndWaitDone(file: string): Promise<Locator> {
  await page.locator('#q2h-upload-file').setInputFiles(file);
  await page.locator('#q2h-upload-submit').click();
  const row = importRow(path.basename(file));
  await expect
    .poll(async () => ((await row.count()) > 0 ? await row.getAttribute('data-status') : null), {
      timeout: 90_000,
      interval: 250,
    })
    .toBe('done');
  return row;
}

async function kpi(id: string): Promise<string> {
  return ((await page.getByTestId(id).textContent()) ?? '').trim();
}

/** Waits for a KPI card to show `value`; a failure names the overview's error alert, if any. */
async function expectKpi(id: string, value: string): Promise<void> {
  try {
    await expect.poll(() => kpi(id), { timeout: 20_000, interval: 200 }).toBe(value);
  } catch (e) {
    const alert = page.getByTestId('overview-error');
    const shown = (await alert.count()) > 0 ? await alert.textContent() : null;
    throw new Error(`${id}: ${(e as Error).message}; page ${page.url()}; overview error: ${shown}`);
  }
}

describe('embedded server + SPA in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'web/dist/index.html'))) {
      execFileSync('npm', ['run', 'build', '-w', '@q2h/web'], { cwd: repoRoot, stdio: 'inherit' });
    }
    await mkdir(screenshots, { recursive: true });
    dataDir = await mkdtemp(path.join(tmpdir(), 'q2h-e2e-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      Q2H_PORT: String(port),
      Q2H_DATA_DIR: dataDir,
      Q2H_ADMIN_INITIAL_PASSWORD: INITIAL_PASSWORD,
    };
    delete env['Q2H_ADMIN_PASSWORD'];
    server = spawn(process.execPath, ['--import', 'tsx', serverEntry], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => serverLog.push(d.toString()));
    server.stderr?.on('data', (d: Buffer) => serverLog.push(d.toString()));
    server.on('exit', (code, signal) => {
      serverExit = `code ${code}, signal ${signal}`;
    });
    await waitReady(`${baseUrl}/readyz`, 120_000);

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    if (server && serverExit === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (serverExit === null) server.kill('SIGKILL');
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (pageErrors.length > 0) console.warn('page errors:\n' + pageErrors.join('\n'));
  });

  it('sends the bootstrap admin through the forced password change to the overview', async () => {
    await page.goto(baseUrl + '/');
    await page.waitForURL(/\/login/);
    await expect.poll(() => page.locator('#q2h-login-username').isVisible()).toBe(true);
    await shot('login');

    // A wrong password shows the problem detail.
    await page.locator('#q2h-login-username').fill('admin');
    await page.locator('#q2h-login-password').fill('not-the-password');
    await page.locator('#q2h-login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').isVisible()).toBe(true);
    expect(((await page.getByTestId('login-error').textContent()) ?? '').trim()).not.toBe('');

    await page.locator('#q2h-login-username').fill('admin');
    await page.locator('#q2h-login-password').fill(INITIAL_PASSWORD);
    await page.locator('#q2h-login-submit').click();
    await page.waitForURL(/\/password/);

    // The guard keeps the user on /password until the password is changed.
    await page.goto(baseUrl + '/overview');
    await page.waitForURL(/\/password/);

    // A wrong current password is a form error, not a logout.
    await page.locator('#q2h-password-current').fill('wrong-current-password');
    await page.locator('#q2h-password-new').fill(NEW_PASSWORD);
    await page.locator('#q2h-password-confirm').fill(NEW_PASSWORD);
    await page.locator('#q2h-password-submit').click();
    await expect.poll(() => page.getByTestId('password-error').isVisible(), { timeout: 10_000 }).toBe(true);
    expect(page.url()).toMatch(/\/password/);

    await page.locator('#q2h-password-current').fill(INITIAL_PASSWORD);
    await page.locator('#q2h-password-new').fill(NEW_PASSWORD);
    await page.locator('#q2h-password-confirm').fill(NEW_PASSWORD);
    await page.locator('#q2h-password-submit').click();
    await page.waitForURL(/\/overview/);
    expect(await page.getByTestId('app-username').textContent()).toContain('admin');

    // The session survives a reload (token in sessionStorage, user re-read from /api/me).
    await page.reload();
    await page.waitForURL(/\/overview/);
    await expect.poll(() => page.getByTestId('app-username').textContent()).toContain('admin');
  });

  it('imports the 4-host scan report and shows 11 findings, 4 hosts, 5 critical', async () => {
    await page.getByTestId('nav-imports').click();
    await page.waitForURL(/\/imports/);
    const row = await uploadAndWaitDone(happyFile);
    await expect.poll(() => row.getByTestId('coherence-badge').textContent()).toContain('OK');
    expect(((await row.getByTestId('import-findings').textContent()) ?? '').trim()).toBe('11');

    await page.getByTestId('nav-overview').click();
    await page.waitForURL(/\/overview/);
    await expectKpi('kpi-findings', '11');
    expect(await kpi('kpi-hosts')).toBe('4');
    expect(await kpi('kpi-critical')).toBe('5');
    await expect.poll(() => page.getByTestId('top-vulns').locator('tbody tr').count()).toBe(9);
    await expect.poll(() => page.getByTestId('top-hosts').locator('tbody tr').count()).toBe(4);
    await page.waitForTimeout(500); // let the donut finish drawing for the screenshot
    await shot('overview');

    // The severity filter is reflected in the URL and re-queries the KPIs.
    await page.goto(baseUrl + '/overview?severities=4,5');
    await expectKpi('kpi-findings', '5');
    expect(await kpi('kpi-critical')).toBe('5');

    // Clicking the severity-5 slice of the donut filters to severity 5 (3 findings in this report).
    await page.goto(baseUrl + '/overview');
    await expectKpi('kpi-findings', '11');
    const slice = page.getByTestId('severity-donut').locator('.apexcharts-pie-area[j="0"]');
    await slice.dispatchEvent('mousedown');
    await page.waitForURL(/[?&]severities=5$/);
    await expectKpi('kpi-findings', '3');
  });

  it('says so when the same report is uploaded again, and counts nothing twice', async () => {
    await page.getByTestId('nav-imports').click();
    await page.waitForURL(/\/imports/);
    const rows = page.getByTestId('import-row');
    await expect.poll(() => rows.count()).toBe(1); // the history has loaded: the first import
    await page.locator('#q2h-upload-file').setInputFiles(happyFile);
    await page.locator('#q2h-upload-submit').click();
    const notice = page.getByTestId('upload-duplicate');
    await expect.poll(() => notice.isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await notice.textContent()).toContain('imported before');
    expect(await notice.textContent()).toContain('11 findings');
    expect(await page.getByTestId('upload-result').count()).toBe(0);
    expect(await rows.count()).toBe(1);
  });

  it('flags the incoherent scan report with an orange Warning badge and lists the failing checks', async () => {
    await page.getByTestId('nav-imports').click();
    await page.waitForURL(/\/imports/);
    const row = await uploadAndWaitDone(incoherentFile);
    const badge = row.getByTestId('coherence-badge');
    await expect.poll(async () => ((await badge.textContent()) ?? '').trim()).toBe('Warning');
    expect(await badge.getAttribute('data-level')).toBe('warning');
    // Vuetify's warning color #ef6c00 (orange).
    // (runs in the page; typed by hand because the test project has no DOM lib)
    const background = await badge.evaluate(
      (el) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(el).backgroundColor,
    );
    expect(background).toBe('rgb(239, 108, 0)');
    await shot('imports');

    await row.click();
    const detail = page.getByTestId('import-detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    const failing = detail.locator('[data-testid="coherence-row"]:not([data-level="ok"])');
    await expect.poll(() => failing.count()).toBeGreaterThan(0);
    const failingText = (await failing.allTextContents()).join('\n');
    expect(failingText).toContain('13'); // declared total vulns (the detail has 11)
    expect(failingText).toContain('10.20.0.15'); // in the per-IP summary, absent from the detail
    expect(failingText).toContain('10.20.0.14'); // in the detail, missing from the per-IP summary
    await shot('imports-detail');
  });
});
