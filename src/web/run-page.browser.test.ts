import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../db/migrate.ts';
import type { Database } from '../db/open-database.ts';
import { openTestDatabase, randomSchemaName, silentLogger } from '../../test/helpers/database.ts';
import { adminToken, startRunTestApp, type RunTestApp } from './run-test-app.ts';

const executablePath = '/usr/bin/chromium';
const available = existsSync(executablePath);
// Under CI a missing browser is a failure: a UI that nobody opened is not tested.
const runOrSkip = available || process.env.CI === 'true' ? describe : describe.skip;

runOrSkip('run page in Chromium', () => {
  let dataDir = '';
  let database: Database;
  let t: RunTestApp;
  let browser: Browser;
  let baseUrl = '';

  beforeAll(async () => {
    if (!available)
      throw new Error(`Chromium is missing at ${executablePath}: apt-get install chromium`);
    dataDir = await mkdtemp(join(tmpdir(), 'baton-browser-'));
    database = await openTestDatabase('postgres', { dataDir, schema: randomSchemaName() });
    await migrateToLatest(database, silentLogger());
    t = await startRunTestApp(database);
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await database?.close();
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  it('shows the status, follows the log and status live, and cancels with the admin token', async ({
    annotate,
  }) => {
    const run = await t.createRun();
    await t.setStatus(run.id, 'running', 'runner started');
    await t.logs.progress(run.id, { id: 'clone', title: 'Clone repository', state: 'done' });
    await t.logs.progress(run.id, { id: 'agent', title: 'Run the agent', state: 'active' });
    await t.logs.append(run.id, 'stdout', 'Cloning demo/app into /workspace');
    await t.logs.append(run.id, 'stderr', 'npm warn deprecated glob@7.2.3');
    const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${baseUrl}${t.access.linkFor(run.id)}`);
    expect(await page.locator('#status').textContent()).toBe('Running');
    await page.locator('#live', { hasText: 'Live' }).waitFor();

    await t.logs.append(run.id, 'stdout', 'Agent: editing src/parse.ts <b>not bold</b>');
    await t.logs.progress(run.id, {
      id: 'publish',
      title: 'Open the merge request',
      state: 'pending',
    });
    const at = new Date().toISOString();
    t.events.publish(run.id, {
      type: 'status',
      from: 'running',
      to: 'publishing',
      reason: 'agent exited 0',
      at,
    });
    await page.locator('#log .line', { hasText: 'editing src/parse.ts' }).waitFor();
    await page.locator('#status', { hasText: 'Publishing' }).waitFor();
    await page.locator('#progress li[data-id="publish"]').waitFor();
    expect(await page.locator('#log b').count()).toBe(0);
    expect(await page.locator('#timeline li').count()).toBe(3);

    // A fixed name, so that a person can look at the latest one after a run.
    const screenshot = join(tmpdir(), 'baton-run-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    await annotate(`screenshot: ${screenshot}`);

    await page.fill('#cancel-token', adminToken);
    await page.click('#cancel-form button');
    await page.locator('#cancel-message', { hasText: 'Cancellation requested' }).waitFor();
    expect(t.cancelCalls).toEqual([{ id: run.id, by: 'admin token' }]);

    await t.logs.finish(run.id, { outcome: 'cancelled', summary: 'Stopped by an admin' });
    await page.locator('#live', { hasText: 'Finished' }).waitFor();
    expect(await page.locator('#status').textContent()).toBe('Cancelled');
    expect(await page.locator('#cancel').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});
