/**
 * The dashboard while a release runs, in Chromium: production eu-west-1 shows "waiting for approval",
 * a screenshot is saved under test-output/, the approval is clicked through the mailbox in another tab,
 * and the dashboard's cell moves on to the new version.
 *
 * Virtual time that moves only when the test steps it (SteppedClock): the approval cannot expire while the
 * browser acts, however slow the machine is.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { loadConfigFile } from '../../shared/config/config.loader';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { launchChromium } from '../support/chromium';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { SteppedClock } from '../support/stepped-clock';

const ROOT = join(__dirname, '..', '..');
const OUTPUT = join(ROOT, 'test-output');
const event = (name: string) => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as unknown;

let browser: Browser;
let pipeline: LocalPipeline | undefined;
let http: LocalHttpServer | undefined;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await pipeline?.close({ abandon: true });
  await http?.close();
  await browser?.close();
});

it(
  'when a release waits for approval, the dashboard shows it, and approving from the mailbox moves the region on',
  async () => {
    // Prepare
    const clock = new SteppedClock(Date.now());
    pipeline = await LocalPipeline.start({
      config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
      clock,
      approvals: 'email',
    });
    const server = await serveLocalPipeline(pipeline);
    http = server;
    const local = pipeline;
    const stepUntil = async (what: string, done: () => boolean) => {
      while (!done()) if (!(await clock.step())) throw new Error(`time ran out before ${what}`);
    };
    const prodEuVersion = () =>
      local.platform.serving({ region: 'eu-west-1', cluster: 'prod', service: 'orders-api' })?.containers[0]
        ?.environment.PIPELINE_VERSION;
    await local.putEvent(event('ecr-push-orders-api.json'));
    while ((await local.engine.listExecutions({ statusFilter: 'RUNNING' })).executions.length > 0)
      if (!(await clock.step())) break;
    await local.settled();
    await local.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    await stepUntil('the approval email of prod/eu-west-1', () =>
      local.mailbox.list().some((m) => m.subject.includes('prod/eu-west-1')),
    );
    const dashboard = await browser.newPage();
    await dashboard.goto(`${server.url}/`);
    const prodEu = dashboard.locator('[data-target="orders-api prod eu-west-1"]');

    // Act
    await prodEu.locator('.badge', { hasText: 'waiting for approval' }).waitFor({ timeout: 30_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await dashboard.screenshot({ path: join(OUTPUT, 'dashboard-waiting-for-approval.png'), fullPage: true });
    const mailbox = await browser.newPage();
    await mailbox.goto(`${server.url}/mail`);
    await mailbox
      .getByRole('link', { name: /prod\/eu-west-1/ })
      .first()
      .click();
    await mailbox.locator('a[href*="action=approve"]').first().click();
    await mailbox.getByRole('button', { name: /Approve v1\.4\.0/ }).click();
    await mailbox.locator('body', { hasText: /approved/i }).waitFor({ timeout: 30_000 });
    await stepUntil('v1.4.0 ran in prod eu-west-1', () => prodEuVersion() === 'v1.4.0');

    // Assess
    expect(await mailbox.textContent('body')).toMatch(/approved/i);
    await prodEu.locator('.version', { hasText: /^v1\.4\.0$/ }).waitFor({ timeout: 30_000 });
    await dashboard.screenshot({ path: join(OUTPUT, 'dashboard-after-approval.png'), fullPage: true });
    expect(await prodEu.locator('.version').getAttribute('title')).toBe('v1.4.0');
  },
  HANG_LIMIT_MS,
);
