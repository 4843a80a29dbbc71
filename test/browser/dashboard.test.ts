/**
 * The local stack's dashboard in a real browser (Debian's Chromium driven by playwright-core): a push posted
 * to /events shows up in the grid as the version PPE runs, with no script or style but the page's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { loadConfigFile } from '../../shared/config/config.loader';
import { startLocalStack, type LocalStack } from '../../cli/local-command';

const ROOT = join(__dirname, '..', '..');

let browser: Browser;
let stack: LocalStack;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  stack = await startLocalStack({
    config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
    port: 0,
    timeScale: 1200,
    approvals: 'approve',
  });
});

afterEach(async () => {
  await stack?.close();
});

describe('the local dashboard, in Chromium', () => {
  it('when a push is posted to /events, the grid shows orders-api ppe/eu-west-1 running that commit', async () => {
    // Prepare
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    await page.goto(`${stack.url}/`);
    const cell = page.locator('[data-target="orders-api ppe eu-west-1"]');
    await cell.locator('.version').waitFor();
    const before = await cell.locator('.version').textContent();

    // Act
    const posted = await fetch(`${stack.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8'),
    });
    await cell.locator('.version', { hasText: /^sha-4b825dc/ }).waitFor({ timeout: 20_000 });

    // Assess
    expect(posted.status).toBe(200);
    expect(before).toBe('not deployed');
    expect(await cell.locator('.version').getAttribute('title')).toBe(
      'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    );
    await page
      .locator('#executions .execution .status', { hasText: /^SUCCEEDED$/ })
      .first()
      .waitFor({ timeout: 20_000 });
    const execution = page.locator('#executions .execution').first();
    expect(await execution.locator('button.name').textContent()).toBe(
      'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
    );
    expect(await execution.locator('.timeline li').first().textContent()).toBe('ppe/eu-west-1 deployed');
    expect(await page.locator('#status').textContent()).toBe('live');
    expect(await page.locator('a[href="/mail"]').count()).toBe(1);
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it('when an execution name is clicked, its states are listed with their durations', async () => {
    // Prepare
    const page = await browser.newPage();
    await fetch(`${stack.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8'),
    });
    await stack.pipeline.settled();
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('#executions button.name');

    // Act
    await page.locator('#executions button.name').first().click();
    await page.waitForSelector('#executions .detail table.states');

    // Assess
    const rows = await page.locator('#executions .detail h4').allTextContents();
    expect(rows).toEqual(['ppe / eu-west-1: deployed']);
    const bake = page.locator('#executions .detail tr', { hasText: /^Bake/ });
    expect(await bake.locator('td').allTextContents()).toEqual([
      'Bake',
      'ok',
      // The 5-minute bake, on a wall clock sped up 1200x: a timer a few real ms late on a busy machine shows
      // as seconds, so only the minutes are exact.
      expect.stringMatching(/^5m [0-5]\ds$/),
    ]);
    await page.close();
  }, 60_000);
});
