import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { deliveryMetrics, LEAD_TIME_PARTS, type DeliveryMetrics } from '../../shared/domain/delivery-metrics';
import { runCli } from '../support/cli';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * `pipeline metrics` against a local stack where one good push deployed to PPE and a broken one was
 * rolled back there: the real state machines wrote the records (and their timelines), the command reads
 * them through the DynamoDB adapter it uses against AWS.
 */
const good = loadEvent('ecr-push-orders-api.json');
const broken = loadEvent('ecr-push-orders-api-broken.json');
const BROKEN_COMMIT = String(broken.detail['image-tag']).replace('sha-', '');

let pipeline: LocalPipeline;
let http: LocalHttpServer;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({
    config: sampleConfig(),
    behaviours: { [BROKEN_COMMIT.slice(0, 7)]: { failsHealthCheck: true } },
  });
  http = await serveLocalPipeline(pipeline, 0);
  await pipeline.putEvent(good);
  await pipeline.putEvent(broken);
  await pipeline.settled();
});

afterAll(async () => {
  await pipeline.close();
  await http.close();
});

const cli = (...args: string[]) => runCli('metrics', ...args, '--local', '--url', http.url);

describe('pipeline metrics', () => {
  it('when asked for JSON, it gives what the domain computes from the same records over the same window', async () => {
    // Act
    const { code, out } = await cli('--service', 'orders-api', '--json');

    // Assess
    expect(code).toBe(0);
    const body = JSON.parse(out) as { since: string; until: string; metrics: DeliveryMetrics[] };
    expect(body.metrics.map((m) => m.environment)).toEqual(['ppe', 'staging', 'prod']);
    const [ppe] = body.metrics;
    const expected = deliveryMetrics(await pipeline.records.history('orders-api'), ppe!.window, [
      { service: 'orders-api', environment: 'ppe' },
    ]);
    expect(ppe).toEqual(JSON.parse(JSON.stringify(expected[0])));
    expect(ppe!.window.days).toBe(30);
    expect(ppe!.deployments).toMatchObject({ total: 2, successful: 1, failed: 1 });
    expect(ppe!.changeFailRate).toBe(0.5);
    expect(ppe!.recovery).toMatchObject({ count: 0, open: 1 });
  });

  it('splits the PPE lead time from the timeline the real steps wrote: it adds up, and the bake is the configured one', async () => {
    // Act
    const { body } = await jsonOf('--service', 'orders-api', '--environment', 'ppe');

    // Assess
    const [sample] = body.metrics[0]!.leadTime.samples;
    expect(sample!.from).toBe('push');
    const parts = sample!.parts!;
    expect(LEAD_TIME_PARTS.reduce((sum, p) => sum + parts[p], 0)).toBe(sample!.leadTimeMs);
    expect(parts.bake).toBeGreaterThanOrEqual(5 * 60_000); // bakeMinutes: 5 for orders-api in PPE
    expect(parts.deploying).toBeGreaterThan(0);
    expect(parts.approval).toBe(0);
    expect(parts.frozen).toBe(0);
    expect(body.metrics[0]!.breakdown.deployments).toBe(1);
  });

  it('prints a table a person reads, and the breakdown under it; the first line alone says what it is', async () => {
    // Act
    const { code, out } = await cli('--service', 'orders-api', '--since', '7d');
    const lines = out.split('\n');

    // Assess
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^delivery metrics from \S+Z to \S+Z \(definitions: docs\/metrics.md\)$/);
    expect(out).toMatch(
      /SERVICE +ENVIRONMENT +DEPLOYED +FAILED +PER DAY +LEAD TIME MEDIAN\/P90 +FROM +CHANGE FAIL/,
    );
    expect(out).toMatch(/orders-api +ppe +1 +1 +0\.14 +\d+h \d+m \/ \d+h \d+m +1 push +50% +- +1 +0%/);
    expect(out).toMatch(/orders-api +prod +0 +0 +0\.00 +- +- +- +- +0 +-/);
    expect(out).toMatch(/where the lead time goes/);
    expect(out).toMatch(/orders-api +ppe +1 +0ms +\S+/);
  });

  it.each([
    [
      ['--since', '30x'],
      'pipeline metrics: --since must be a duration like 30d, 12h or 2w, or a date like 2026-11-01, got "30x"',
    ],
    [['--since', '2026-13-01'], 'pipeline metrics: --since "2026-13-01" is not a calendar date'],
    [
      ['--service', 'orders'],
      'pipeline metrics: no service "orders" in the config (services: orders-api, payments-api)',
    ],
    [
      ['--environment', 'production'],
      expect.stringMatching(
        /^pipeline metrics: no environment "production" in the config.*\(environments: ppe, staging, prod\)$/,
      ),
    ],
    [
      ['orders-api'],
      'pipeline metrics: takes no arguments, got "orders-api" (a service is --service <name>)',
    ],
  ])('when given %j, it exits 2 with what is wrong', async (args, message) => {
    // Act
    const { code, err, out } = await cli(...(args as string[]));

    // Assess
    expect(code).toBe(2);
    expect(err).toEqual(message);
    expect(out).toBe('');
  });

  it('when the local stack does not answer, it exits 3', async () => {
    const { code, err } = await runCli('metrics', '--local', '--url', 'http://127.0.0.1:9');
    expect(code).toBe(3);
    expect(err).toMatch(/^pipeline metrics: the local stack does not answer/);
  });
});

async function jsonOf(...args: string[]) {
  const result = await cli(...args, '--json');
  return { ...result, body: JSON.parse(result.out) as { metrics: DeliveryMetrics[] } };
}
