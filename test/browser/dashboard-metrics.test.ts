/**
 * The dashboard's metrics view in a real browser (Debian's Chromium driven by playwright-core): a local stack
 * started on a seeded history (as `pipeline local --seed-history` plays it) draws its charts, with the
 * numbers of `/api/metrics`, and the page's CSP refuses nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { loadConfigFile } from '../../shared/config/config.loader';
import { startLocalStack, type LocalStack } from '../../cli/local-command';
import { seedLocalHistory } from '../../local-runtime/seed-history';
import type { DeliveryMetrics } from '../../shared/domain/delivery-metrics';

const ROOT = join(__dirname, '..', '..');

let browser: Browser;
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dataDir = mkdtempSync(join(tmpdir(), 'metrics-view-'));
  const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
  // Mon 2 to Thu 5 November 2026: weekday pushes and Tuesday's release through staging and prod.
  await seedLocalHistory(config, dataDir, 4, Date.parse('2026-11-06T00:00:00Z'));
  stack = await startLocalStack({ config, port: 0, timeScale: 1, approvals: 'approve', dataDir });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the dashboard metrics view, in Chromium', () => {
  it('when the stack has a seeded history, it charts deployments per day, lead times and their breakdown as /api/metrics says', async () => {
    // Prepare
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));

    // Act
    await page.goto(`${stack.url}/#delivery-metrics`);
    const ppe = page.locator('[data-metrics="orders-api ppe"]');
    await ppe.locator('svg.chart.breakdown').waitFor({ timeout: 20_000 });

    // Assess
    const answer = (await (await fetch(`${stack.url}/api/metrics?since=30d`)).json()) as {
      metrics: DeliveryMetrics[];
    };
    const expected = answer.metrics.find((m) => m.service === 'orders-api' && m.environment === 'ppe')!;
    expect(expected.deployments.successful).toBeGreaterThan(0);
    const perDay = ppe.locator('svg.chart.per-day rect.bar');
    expect(await perDay.evaluateAll((bars) => bars.map((b) => b.getAttribute('data-count')))).toEqual(
      expected.deployments.byDay.map((d) => String(d.count)),
    );
    const points = ppe.locator('svg.chart.lead-time circle.point');
    expect((await points.evaluateAll((dots) => dots.map((d) => d.getAttribute('data-ms')))).sort()).toEqual(
      expected.leadTime.samples.map((s) => String(s.leadTimeMs)).sort(),
    );
    // Each point sits inside the chart, at the time its deployment went out (later ones further right).
    const xs = await points.evaluateAll((dots) => dots.map((d) => Number(d.getAttribute('cx'))));
    expect(xs.length).toBeGreaterThan(0);
    for (const x of xs) expect(x > 0 && x <= 360).toBe(true);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(await ppe.locator('svg.chart.lead-time polyline.line').count()).toBe(xs.length > 1 ? 1 : 0);
    const parts = ppe.locator('svg.chart.breakdown rect.bar');
    expect(
      await parts.evaluateAll((bars) =>
        bars.map((b) => [b.getAttribute('data-part'), b.getAttribute('data-ms')]),
      ),
    ).toEqual(Object.entries(expected.breakdown.total).map(([part, ms]) => [part, String(ms)]));
    const shown = await page
      .locator('[data-metrics]')
      .evaluateAll((pairs) => pairs.map((p) => p.getAttribute('data-metrics')));
    expect(shown).toEqual(
      answer.metrics
        .filter((m) => m.deployments.total > 0 || m.leadTime.samples.length > 0)
        .map((m) => `${m.service} ${m.environment}`),
    );
    expect(shown).toContain('orders-api prod');
    expect(await ppe.locator('.summary').textContent()).toContain(
      `${expected.deployments.successful} deployed, ${expected.deployments.failed} failed`,
    );
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);

  it('when the picker names an environment and a window, it asks /api/metrics for them at once and shows only those', async () => {
    // Prepare
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(error.message));
    await page.goto(`${stack.url}/#delivery-metrics`);
    await page.locator('[data-metrics="orders-api ppe"]').waitFor({ timeout: 20_000 });

    // Act
    const asked = page.waitForRequest((request) => request.url().includes('environment=prod&since=7d'));
    await page.selectOption('#metrics-environment', 'prod');
    await page.selectOption('#metrics-since', '7d');
    await asked;
    const shownPairs = () =>
      page
        .locator('[data-metrics]')
        .evaluateAll((pairs) => pairs.map((p) => p.getAttribute('data-metrics')!));
    for (let i = 0; i < 100; i++) {
      const pairs = await shownPairs();
      if (pairs.length > 0 && pairs.every((p) => p.endsWith(' prod'))) break;
      await page.waitForTimeout(200);
    }

    // Assess
    expect(Object.fromEntries(new URL((await asked).url()).searchParams)).toEqual({
      environment: 'prod',
      since: '7d',
    });
    const options = (id: string) =>
      page.locator(`#${id} option`).evaluateAll((all) => all.map((o) => o.getAttribute('value')));
    expect(await options('metrics-service')).toEqual(['', 'orders-api', 'payments-api']);
    expect(await options('metrics-since')).toEqual(['1d', '7d', '30d', '90d']);
    const answer = (await (await fetch(`${stack.url}/api/metrics?environment=prod&since=7d`)).json()) as {
      metrics: DeliveryMetrics[];
    };
    const prod = answer.metrics.find((m) => m.service === 'orders-api')!;
    expect(await shownPairs()).toEqual(
      answer.metrics
        .filter((m) => m.deployments.total > 0 || m.leadTime.samples.length > 0)
        .map((m) => `${m.service} ${m.environment}`),
    );
    const view = page.locator('[data-metrics="orders-api prod"]');
    expect(await view.locator('svg.chart.per-day rect.bar').count()).toBe(prod.deployments.byDay.length);
    expect(await view.locator('.summary').textContent()).toContain(
      `${prod.deployments.successful} deployed, ${prod.deployments.failed} failed`,
    );
    expect(violations).toEqual([]);
    await page.close();
  }, 60_000);
});
