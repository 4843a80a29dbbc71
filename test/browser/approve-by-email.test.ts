/**
 * A person approving a release through the approval email, in a real browser (Debian's Chromium driven by
 * playwright-core; scripts/test.sh installs it when missing): open the local mailbox, follow the link,
 * confirm on the page, and watch the release move on, or stop with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { loadConfigFile } from '../../shared/config/config.loader';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { SteppedClock } from '../support/stepped-clock';

const ROOT = join(__dirname, '..', '..');
const event = (name: string) => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as unknown;

let browser: Browser;
let pipeline: LocalPipeline;
let clock: SteppedClock;
let baseUrl: string;
let http: LocalHttpServer | undefined;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  // Approvals wait for a person, so time must not jump to their expiry: virtual time that moves only while
  // the test waits (one timer at a time), never while the browser acts.
  clock = new SteppedClock(Date.now());
  pipeline = await LocalPipeline.start({
    config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
    clock,
    approvals: 'email',
  });
  http = await serveLocalPipeline(pipeline);
  baseUrl = http.url;
  await pipeline.putEvent(event('ecr-push-orders-api.json'));
  await runUntilSettled();
  await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
});

afterEach(async () => {
  await pipeline?.close({ abandon: true });
  await http?.close();
});

/** Moves time on, one timer at a time, until an approval email for `region` is in the local mailbox. */
async function mailFor(region: string): Promise<string> {
  for (;;) {
    const mail = pipeline.mailbox.list().find((m) => m.subject.includes(`prod/${region}`));
    if (mail) return mail.subject;
    if (!(await clock.step())) throw new Error(`no approval email for prod/${region}`);
  }
}

/** Moves time on until no execution runs (and nothing is in delivery). */
async function runUntilSettled(): Promise<void> {
  while ((await pipeline.engine.listExecutions({ statusFilter: 'RUNNING' })).executions.length > 0)
    if (!(await clock.step())) break;
  await pipeline.settled();
}

/** Waits (without a deadline of its own) until the page the decision led to says `what`. */
async function decided(page: Page, what: RegExp): Promise<string | null> {
  await page.locator('body', { hasText: what }).waitFor({ timeout: 0 });
  return page.textContent('body');
}

async function openLink(page: Page, subject: string, action: 'approve' | 'reject'): Promise<void> {
  await page.goto(`${baseUrl}/mail`);
  await page.getByRole('link', { name: subject }).first().click();
  await page.locator(`a[href*="action=${action}"]`).first().click();
}

describe('approving a release from the approval email, in Chromium', () => {
  it(
    'when the approver follows Approve and confirms, the release deploys eu-west-1 and asks for us-east-1 next',
    async () => {
      // Prepare
      const subject = await mailFor('eu-west-1');
      const page = await browser.newPage();

      // Act
      await openLink(page, subject, 'approve');
      const confirmation = await page.content();
      await page.getByRole('button', { name: /Approve v1\.4\.0/ }).click();
      const result = await decided(page, /approved/i);

      // Assess
      expect(confirmation).toContain('Nothing happens until you press the button');
      expect(result).toMatch(/approved/i);
      await mailFor('us-east-1');
      const eu = pipeline.platform.serving({ region: 'eu-west-1', cluster: 'prod', service: 'orders-api' });
      expect(eu?.containers[0]?.environment.PIPELINE_VERSION).toBe('v1.4.0');
      await page.close();
    },
    HANG_LIMIT_MS,
  );

  it(
    'when the approver follows Reject and gives a reason, the release stops in that region with the reason',
    async () => {
      // Prepare
      const subject = await mailFor('eu-west-1');
      const page = await browser.newPage();

      // Act
      await openLink(page, subject, 'reject');
      await page.fill('textarea[name="comment"]', 'error budget spent this week');
      await page.getByRole('button', { name: /Reject v1\.4\.0/ }).click();
      const result = await decided(page, /rejected/i);
      await runUntilSettled();

      // Assess
      expect(result).toMatch(/rejected/i);
      const [release] = (
        await pipeline.engine.listExecutions({ stateMachineArn: pipeline.stateMachineArns.release })
      ).executions;
      const described = await pipeline.engine.describeExecution({ executionArn: release!.executionArn });
      expect(described.status).toBe('FAILED');
      expect(described.error).toBe('ApprovalRejected');
      expect(described.cause).toContain('error budget spent this week');
      const eu = pipeline.platform.serving({ region: 'eu-west-1', cluster: 'prod', service: 'orders-api' });
      expect(eu?.containers[0]?.environment.PIPELINE_VERSION).toBeUndefined();
      await page.close();
    },
    HANG_LIMIT_MS,
  );

  it(
    'when a mail scanner opens every link, every approval stays pending',
    async () => {
      // Prepare
      await mailFor('eu-west-1');
      const page = await browser.newPage();

      // Act: GET every link of every email, as a link scanner does
      for (const mail of pipeline.mailbox.list()) for (const link of mail.links) await page.goto(link);

      // Assess
      const [release] = (
        await pipeline.engine.listExecutions({ stateMachineArn: pipeline.stateMachineArns.release })
      ).executions;
      expect((await pipeline.engine.describeExecution({ executionArn: release!.executionArn })).status).toBe(
        'RUNNING',
      );
      expect(pipeline.mailbox.list().filter((m) => m.subject.includes('prod/us-east-1'))).toEqual([]);
      await page.close();
    },
    HANG_LIMIT_MS,
  );
});
