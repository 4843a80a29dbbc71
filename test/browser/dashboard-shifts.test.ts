/**
 * The dashboard's traffic shift view in a real browser (Debian's Chromium driven by playwright-core): a local
 * pipeline whose executions are read as the canary config plans them (orders-api's PPE a canary), the
 * stage's progress seeded in an in-memory TrafficShiftLog as
 * the hook records it (a passing step, an extended step, a failing step; or a step being judged), and the
 * page's charts, steps, verdict and table of windows checked against it. The page's CSP refuses nothing.
 */
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../../shared/clock';
import { postEvents, type LocalApiPipeline } from '../../local-runtime/local-api';
import { LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import type { ShiftProgress } from '../../shared/domain/traffic-shift';
import { launchChromium } from '../support/chromium';
import { loadEvent, sampleConfig } from '../support/fixtures';
import { plannedAsCanary } from '../support/shift-config';
import {
  canaryPlan,
  failedAtFifty,
  InMemoryTrafficShiftLog,
  MINUTE,
  progressAfter,
} from '../support/shift-progress';

const PUSH = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
const PPE = { executionName: PUSH, environment: 'ppe', region: 'eu-west-1' };
const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);

let browser: Browser;
let pipeline: LocalPipeline | undefined;
let server: LocalHttpServer | undefined;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await server?.close();
  await pipeline?.close({ abandon: true });
  server = pipeline = undefined;
});

/** A pipeline served with the log seeded by `seed` once its push has reached PPE. */
async function serve(
  clock: ManualClock | undefined,
  seed: ShiftProgress,
  settle: boolean,
): Promise<{ url: string; log: InMemoryTrafficShiftLog }> {
  // A running shift is a stage held by the stopped clock.
  const started = await LocalPipeline.start({ config: sampleConfig(), ...(clock && { clock }) });
  pipeline = started;
  const log = new InMemoryTrafficShiftLog();
  const api: LocalApiPipeline = {
    config: started.config,
    clock: started.clock,
    engine: plannedAsCanary(started.engine),
    platform: started.platform,
    records: started.records,
    putEvent: (event) => started.putEvent(event),
    shiftLog: log,
  };
  await postEvents(
    api,
    'application/json',
    Buffer.from(JSON.stringify(loadEvent('ecr-push-orders-api.json'))),
  );
  if (settle) await started.settled();
  else await waitForDeployment(started);
  await log.record(PPE, seed);
  server = await LocalHttpServer.start({ ...started.httpRoutes(), api });
  return { url: server.url, log };
}

/** Until the push's PPE stage waits for its ECS deployment (where a stopped clock holds it). */
async function waitForDeployment(started: LocalPipeline): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { events } = await started.engine.getExecutionHistory({
      executionArn: (await started.engine.listExecutions({})).executions[0]!.executionArn,
    });
    if (events.some((e) => e.type === 'TaskStateEntered' && e.details.name === 'Wait for ECS deployment'))
      return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the push never reached "Wait for ECS deployment"');
}

async function open(url: string): Promise<{ page: Page; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(error.message));
  page.on('dialog', (dialog) => {
    violations.push(`a dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${url}/#traffic-shifts`);
  return { page, violations };
}

const attributes = (page: Page, selector: string, name: string) =>
  page.locator(selector).evaluateAll((nodes, n) => nodes.map((node) => node.getAttribute(n)), name);

describe('the dashboard traffic shift view, in Chromium', () => {
  it('when a canary passed 5%, was extended at 25% and failed at 50%, it charts the weights and both series and says why it switched back', async () => {
    // Prepare: the cause carries markup, which must show as text
    const failed = failedAtFifty(T0);
    const seeded = { ...failed, cause: `${failed.cause} <img src=x onerror="alert(1)">` };
    const { url } = await serve(undefined, seeded, true);

    // Act
    const { page, violations } = await open(url);
    const shift = page.locator(`[data-shift="orders-api ppe eu-west-1 ${PUSH}"]`);
    await shift.locator('table.windows').waitFor({ timeout: 20_000 });

    // Assess
    const records = failed.records;
    expect(await shift.getAttribute('data-status')).toBe('failed');
    expect(await shift.locator('h3').textContent()).toMatch(
      /^orders-api \/ ppe \/ eu-west-1: canary of sha-4b825dc642cb/,
    );
    expect(await shift.locator('.verdict').textContent()).toBe(`Switched back to blue: ${seeded.cause}`);
    expect(await shift.locator('img').count()).toBe(0);
    expect(await shift.locator('p.meta').textContent()).toBe(
      `${PUSH} · up to 3 extensions a step, at most 2 h in all`,
    );
    // The steps: 5% passed, 25% passed after one extension, 50% failed, 100% never reached.
    const steps = shift.locator('ol.shift-steps li');
    expect(await steps.allTextContents()).toEqual([
      '5% · 10 min · passed',
      '25% · 10 min · passed (extended 1×)',
      '50% · 10 min · failed',
      '100%',
    ]);
    // The weights: one verdict a window, on a line that ends back at 0% (the chart's bottom).
    const weights = shift.locator('svg.chart.weights');
    expect(await weights.getAttribute('role')).toBe('img');
    expect(await weights.locator('title').first().textContent()).toBe('Green’s share of traffic, %');
    expect(await weights.getAttribute('aria-label')).toBe(
      'Green’s share of traffic: 5% passed, 25% passed, 50% failed; now 0%',
    );
    expect(await attributes(page, 'svg.chart.weights circle.step-verdict', 'data-outcome')).toEqual([
      'pass',
      'inconclusive',
      'pass',
      'fail',
    ]);
    expect(await attributes(page, 'svg.chart.weights circle.step-verdict', 'data-percent')).toEqual([
      '5',
      '25',
      '25',
      '50',
    ]);
    const line = (await weights.locator('polyline.weight').getAttribute('points'))!.split(' ');
    expect(line.at(-1)!.split(',')[1]).toBe('112.0'); // 130 high, 18 below the axis: 0%
    // Both series, per window: error rate and p95, green against blue, as recorded.
    expect(await attributes(page, 'svg.chart.error-rate circle[data-series="green"]', 'data-value')).toEqual(
      records.map((r) => String(r.green.errors / r.green.requests)),
    );
    expect(await attributes(page, 'svg.chart.error-rate circle[data-series="blue"]', 'data-value')).toEqual(
      records.map((r) => String(r.blue.errors / r.blue.requests)),
    );
    expect(await attributes(page, 'svg.chart.p95 circle[data-series="green"]', 'data-value')).toEqual([
      '185',
      '170',
      '185',
      '412',
    ]);
    expect(await attributes(page, 'svg.chart.p95 circle[data-series="blue"]', 'data-value')).toEqual(
      records.map(() => '180'),
    );
    expect(await shift.locator('svg.chart.p95').getAttribute('aria-label')).toContain(
      'blue 180 ms, green 412 ms',
    );
    // Later windows sit further right: the x axis is time.
    const xs = (await attributes(page, 'svg.chart.p95 circle[data-series="green"]', 'cx')).map(Number);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // The table carries every number and the reason of each window.
    const rows = shift.locator('table.windows tbody tr');
    expect(await attributes(page, 'table.windows tbody tr', 'data-outcome')).toEqual(
      records.map((r) => r.outcome),
    );
    expect(await rows.locator('td.reason').allTextContents()).toEqual(records.map((r) => r.reason));
    expect(await rows.nth(2).locator('td').allTextContents()).toEqual([
      '25% (extension 1)',
      '20 min',
      '1,000',
      '2',
      '180 ms',
      '1,000',
      '3',
      '185 ms',
      'pass',
      records[2]!.reason,
    ]);
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);

  it('when every judged step passed, it says green has everything and the weight line ends at 100%', async () => {
    // Prepare
    const { url } = await serve(
      undefined,
      progressAfter(canaryPlan(), ['healthy', 'healthy', 'healthy'], T0),
      true,
    );

    // Act
    const { page, violations } = await open(url);
    const shift = page.locator(`[data-shift="orders-api ppe eu-west-1 ${PUSH}"][data-status="shifted"]`);
    await shift.locator('table.windows').waitFor({ timeout: 20_000 });

    // Assess
    expect(await shift.locator('.verdict').textContent()).toBe(
      'Every judged step passed: green has 100% of the traffic; blue is kept 15 min.',
    );
    expect(await attributes(page, 'ol.shift-steps li', 'class')).toEqual([
      'badge step-passed',
      'badge step-passed',
      'badge step-passed',
      'badge step-passed',
    ]);
    const line = (await shift.locator('polyline.weight').getAttribute('points'))!.split(' ');
    expect(line.at(-1)!.split(',')[1]).toBe('16.0'); // 16 below the top: 100%
    expect(await attributes(page, 'table.windows tbody tr', 'data-outcome')).toEqual([
      'pass',
      'pass',
      'pass',
    ]);
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);

  it('while a canary is judged at 25%, it shows it running with green at 25% and then follows the log', async () => {
    // Prepare: time stands still, so the stage stays in progress
    const clock = new ManualClock(T0 + 25 * MINUTE);
    const { url, log } = await serve(clock, progressAfter(canaryPlan(), ['healthy'], T0), false);

    // Act
    const { page, violations } = await open(url);
    const shift = page.locator(`[data-shift="orders-api ppe eu-west-1 ${PUSH}"][data-status="shifting"]`);
    await shift.locator('svg.chart.weights').waitFor({ timeout: 20_000 });
    const first = {
      heading: await shift.locator('h3').textContent(),
      verdict: await shift.locator('.verdict').textContent(),
      steps: await attributes(page, 'ol.shift-steps li[data-status]', 'data-status'),
      greenNow: await shift.locator('polyline.weight').getAttribute('data-green-now'),
    };
    await log.record(PPE, progressAfter(canaryPlan(), ['healthy', 'quiet'], T0));
    await shift.locator('li[data-percent="25"]', { hasText: 'extended 1×' }).waitFor({ timeout: 20_000 });

    // Assess
    expect(first).toEqual({
      heading: expect.stringMatching(/: canary of sha-4b825dc642cb \(running\)$/),
      verdict: 'Green has 25%: step 2 of 3 is being judged.',
      steps: ['passed', 'judging', 'pending'],
      greenNow: '25',
    });
    expect(await shift.locator('.verdict').textContent()).toBe(
      'Green has 25%: step 2 of 3 is being judged, extended 1× for too little traffic.',
    );
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);
});
