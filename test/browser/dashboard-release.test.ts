/**
 * The dashboard while a release runs, in Chromium: production eu-west-1 shows "waiting for approval",
 * a screenshot is saved under test-output/, the approval is clicked through the mailbox in another tab,
 * and the dashboard's cell moves on to the new version.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../cli/local-command';
import { loadConfigFile } from '../../shared/config/config.loader';
import { launchChromium } from '../support/chromium';

const ROOT = join(__dirname, '..', '..');
const OUTPUT = join(ROOT, 'test-output');
const event = (name: string) => readFileSync(join(ROOT, 'events', name), 'utf8');

let browser: Browser;
let stack: LocalStack;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await browser?.close();
});

it('when a release waits for approval, the dashboard shows it, and approving from the mailbox moves the region on', async () => {
  // Prepare
  stack = await startLocalStack({
    config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
    port: 0,
    timeScale: 1200,
    approvals: 'email',
  });
  const post = (body: string) =>
    fetch(`${stack.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await post(event('ecr-push-orders-api.json'));
  await stack.pipeline.settled();
  await post(event('git-tag-orders-api-v1.4.0.json'));
  const dashboard = await browser.newPage();
  await dashboard.goto(`${stack.url}/`);
  const prodEu = dashboard.locator('[data-target="orders-api prod eu-west-1"]');

  // Act
  await prodEu.locator('.badge', { hasText: 'waiting for approval' }).waitFor({ timeout: 30_000 });
  mkdirSync(OUTPUT, { recursive: true });
  await dashboard.screenshot({ path: join(OUTPUT, 'dashboard-waiting-for-approval.png'), fullPage: true });
  const mailbox = await browser.newPage();
  await mailbox.goto(`${stack.url}/mail`);
  await mailbox
    .getByRole('link', { name: /prod\/eu-west-1/ })
    .first()
    .click();
  await mailbox.locator('a[href*="action=approve"]').first().click();
  await mailbox.getByRole('button', { name: /Approve v1\.4\.0/ }).click();

  // Assess
  expect(await mailbox.textContent('body')).toMatch(/approved/i);
  await prodEu.locator('.version', { hasText: /^v1\.4\.0$/ }).waitFor({ timeout: 30_000 });
  await dashboard.screenshot({ path: join(OUTPUT, 'dashboard-after-approval.png'), fullPage: true });
  expect(await prodEu.locator('.version').getAttribute('title')).toBe('v1.4.0');
}, 90_000);
