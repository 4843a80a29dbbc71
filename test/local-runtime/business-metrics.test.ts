import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BUSINESS_METRIC,
  createSampleServer,
  type SampleServiceState,
} from '../../examples/sample-service/app';
import {
  LocalBusinessMetrics,
  parseBusinessMetrics,
} from '../../local-runtime/traffic/local-business-metrics';
import { LocalTrafficProxy } from '../../local-runtime/traffic/local-traffic-proxy';
import { TrafficGenerator } from '../../local-runtime/traffic/traffic-generator';
import { systemClock } from '../../shared/clock';
import type { KpiThreshold } from '../../shared/domain/kpi-judgement';
import { DEFAULT_JUDGEMENT_THRESHOLDS, judgeStep } from '../../shared/domain/traffic-judgement';
import type { TrafficTargets } from '../../shared/ports/traffic';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

jest.setTimeout(HANG_LIMIT_MS);

const TARGETS: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer: 'local/orders-api/production/eu-west-1',
  listenerRule: 'local/orders-api/production/eu-west-1/rule',
  blueTargetGroup: 'local/orders-api/production/eu-west-1/blue',
  greenTargetGroup: 'local/orders-api/production/eu-west-1/green',
};
const CHECKOUTS: KpiThreshold = {
  name: 'checkout-success',
  namespace: BUSINESS_METRIC.namespace,
  metricName: BUSINESS_METRIC.metricName,
  statistic: 'Sum',
  dimensions: {},
  revisionDimension: BUSINESS_METRIC.dimension,
  maxDrop: 0.3,
};

describe('the local CloudWatch of the services’ own metrics', () => {
  it('reads the x-business-metric header: namespace, name, value and dimensions, skipping what does not parse', () => {
    expect(
      parseBusinessMetrics('Orders/CheckoutSucceeded=1;Version=1.4.0, junk, Orders/Refunds=2.5'),
    ).toEqual([
      { namespace: 'Orders', metricName: 'CheckoutSucceeded', value: 1, dimensions: { Version: '1.4.0' } },
      { namespace: 'Orders', metricName: 'Refunds', value: 2.5, dimensions: {} },
    ]);
    expect(parseBusinessMetrics(undefined)).toEqual([]);
    expect(parseBusinessMetrics('Orders/CheckoutSucceeded=1;Version')).toEqual([]);
  });

  it('answers a statistic over a window for the exact dimensions asked, as CloudWatch does', () => {
    // Prepare
    const metrics = new LocalBusinessMetrics();
    metrics.put('Orders', 'CheckoutSucceeded', { Version: '1.4.0', Service: 'orders-api' }, 1, 1_000);
    metrics.put('Orders', 'CheckoutSucceeded', { Service: 'orders-api', Version: '1.4.0' }, 0, 1_500);
    metrics.put('Orders', 'CheckoutSucceeded', { Version: '1.4.0' }, 1, 1_000);
    metrics.put('Orders', 'CheckoutSucceeded', { Service: 'orders-api', Version: '1.4.0' }, 1, 9_000);
    const kpi = { ...CHECKOUTS, dimensions: { Service: 'orders-api' } };

    // Act
    const window = { from: 0, to: 5_000 };
    const [sum] = metrics.sampleKpis([kpi], { blue: '1.4.0', green: '1.5.0' }, window);
    const [average] = metrics.sampleKpis(
      [{ ...kpi, statistic: 'Average' }],
      { blue: '1.4.0', green: '1.5.0' },
      window,
    );

    // Assess
    expect(sum).toEqual({ name: 'checkout-success', blue: { value: 1, samples: 2 } });
    expect(average?.blue).toEqual({ value: 0.5, samples: 2 });
  });
});

describe('a build that loses checkouts behind the local load balancer', () => {
  let servers: Server[] = [];
  let proxy: LocalTrafficProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    servers = [];
  });

  async function serve(state: SampleServiceState, seed: number): Promise<string> {
    let n = seed;
    // A fixed sequence, so the checkouts' outcomes are the same on every run.
    const next = () => ((n = (n * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    const server = createSampleServer(() => ({ ...state, workMs: 1 }), Math.random, next);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('when green loses half its checkouts, its errors and latency pass and the KPI fails it, on real requests', async () => {
    // Prepare
    const businessMetrics = new LocalBusinessMetrics();
    proxy = new LocalTrafficProxy({
      targets: TARGETS,
      upstreams: {
        blue: await serve({ version: '1.4.0' }, 7),
        green: await serve({ version: '1.5.0', kpiDrop: 0.5 }, 11),
      },
      clock: systemClock,
      businessMetrics,
    });
    await proxy.listen();
    await proxy.setGreenWeight(TARGETS, 50);
    const from = systemClock.now();

    // Act
    await new TrafficGenerator({ url: proxy.url, concurrency: 8, limit: 1_200 }).start().done;
    const window = { from, to: systemClock.now() + 1_000 };
    const { blue, green } = await proxy.sample(TARGETS, window);
    const kpis = businessMetrics.sampleKpis([CHECKOUTS], { blue: '1.4.0', green: '1.5.0' }, window);
    const verdict = judgeStep(
      { blue, green, greenPercent: 50, windowMs: window.to - window.from, kpis },
      { ...DEFAULT_JUDGEMENT_THRESHOLDS, minRequests: 500, kpis: [CHECKOUTS] },
    );

    // Assess: 600 requests a side; blue checks out about 97% of them, green about half that
    expect([blue.requests, green.requests, blue.errors, green.errors]).toEqual([600, 600, 0, 0]);
    expect(kpis[0]?.blue?.samples).toBe(600);
    expect(kpis[0]!.blue!.value / 600).toBeGreaterThan(0.93);
    expect(kpis[0]!.green!.value / 600).toBeLessThan(0.56);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(
      /^checkout-success 0\.\d+ per request vs baseline 0\.9\d \(−\d+%\) at 50% after/,
    );
  });
});
