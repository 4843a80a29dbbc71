import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSampleServer, type SampleServiceState } from '../../examples/sample-service/app';
import { LatencyHistogram } from '../../local-runtime/traffic/latency-histogram';
import { LocalTrafficProxy, UnknownTrafficTargets } from '../../local-runtime/traffic/local-traffic-proxy';
import { TrafficGenerator } from '../../local-runtime/traffic/traffic-generator';
import { systemClock } from '../../shared/clock';
import { DEFAULT_JUDGEMENT_THRESHOLDS, judgeStep } from '../../shared/domain/traffic-judgement';
import type { TrafficTargets } from '../../shared/ports/traffic';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const TARGETS: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer: 'local/orders-api/production/eu-west-1',
  listenerRule: 'local/orders-api/production/eu-west-1/rule',
  blueTargetGroup: 'local/orders-api/production/eu-west-1/blue',
  greenTargetGroup: 'local/orders-api/production/eu-west-1/green',
};

describe('LatencyHistogram', () => {
  it('reads the p95 of 10,000 latencies within 1% of the exact one, in any order', () => {
    // Prepare: 1..10,000 ms, shuffled by a fixed stride
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 10_000; i++) histogram.record(((i * 7_919) % 10_000) + 1);

    // Act
    const p95 = histogram.percentile(0.95)!;

    // Assess: the 9,500th fastest is 9,500 ms
    expect(p95).toBeGreaterThanOrEqual(9_500);
    expect(p95).toBeLessThanOrEqual(9_500 * 1.01);
    expect(histogram.count).toBe(10_000);
  });

  it('adds windows up, reads a tail as the tail, and reads nothing from nothing', () => {
    // Prepare
    const fast = new LatencyHistogram();
    const slow = new LatencyHistogram();
    for (let i = 0; i < 94; i++) fast.record(10);
    for (let i = 0; i < 6; i++) slow.record(400);

    // Act
    fast.add(slow);

    // Assess: 6 of 100 at 400 ms: the 95th fastest is one of them
    expect(fast.percentile(0.95)).toBeCloseTo(400, -1);
    expect(fast.percentile(0.5)).toBeCloseTo(10, 0);
    expect(new LatencyHistogram().percentile(0.95)).toBeUndefined();
    expect(() => fast.record(-1)).toThrow('a latency must be a finite number of ms ≥ 0, got -1');
  });
});

describe('the local load balancer on real requests', () => {
  let servers: Server[] = [];
  let proxy: LocalTrafficProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    servers = [];
  });

  async function serve(state: SampleServiceState): Promise<string> {
    const server = createSampleServer(() => state);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function stack(blue: SampleServiceState, green: SampleServiceState, greenPercent: number) {
    proxy = new LocalTrafficProxy({
      targets: TARGETS,
      upstreams: { blue: await serve(blue), green: await serve(green) },
      clock: systemClock,
    });
    await proxy.listen();
    await proxy.setGreenWeight(TARGETS, greenPercent);
    return proxy;
  }

  it('when green has 25%, a quarter of real requests reach it, and the measurements say so per side', async () => {
    // Prepare
    const lb = await stack({ commit: 'b1ue' }, { commit: 'a11green' }, 25);
    const from = systemClock.now();

    // Act
    const answers = await Promise.all(
      Array.from(
        { length: 200 },
        async () => (await (await fetch(`${lb.url}/health`)).json()) as { commit: string },
      ),
    );
    const sent = await new TrafficGenerator({ url: lb.url, concurrency: 8, limit: 200 }).start().done;
    const sample = await lb.sample(TARGETS, { from, to: systemClock.now() + 1_000 });

    // Assess
    expect(answers.filter((a) => a.commit === 'a11green')).toHaveLength(50);
    expect(sent).toEqual({ requests: 200, statuses: { 200: 200 } });
    expect(sample.green).toMatchObject({ requests: 100, errors: 0 });
    expect(sample.blue).toMatchObject({ requests: 300, errors: 0 });
    expect(sample.green.p95Ms).toBeGreaterThan(0);
  });

  it('when asked about another service, it refuses instead of answering with this one', async () => {
    // Prepare
    const lb = await stack({ commit: 'b1ue' }, { commit: 'a11green' }, 5);
    const other = { ...TARGETS, listenerRule: 'local/payments/production/eu-west-1/rule' };

    // Act, Assess
    await expect(lb.sample(other, { from: 0, to: 1 })).rejects.toThrow(UnknownTrafficTargets);
    await expect(lb.setGreenWeight(other, 5)).rejects.toThrow(
      'was asked about local/payments/production/eu-west-1/rule',
    );
    await expect(lb.setGreenWeight(TARGETS, 101)).rejects.toThrow('got 101');
  });

  it('when green fails 8% of its requests, judgeStep fails it on what the proxy measured', async () => {
    // Prepare
    const lb = await stack({ commit: 'b1ue' }, { commit: 'a11green', errorRate: 0.08 }, 50);
    const from = systemClock.now();

    // Act
    await new TrafficGenerator({ url: lb.url, concurrency: 48, limit: 1_800 }).start().done;
    const to = systemClock.now() + 1_000;
    const sample = await lb.sample(TARGETS, { from, to });
    const verdict = judgeStep({ ...sample, greenPercent: 50, windowMs: to - from });

    // Assess
    expect(verdict.green.requests).toBe(900);
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^errors \d+\.\d% vs baseline 0\.0% at 50% after/);
  });

  it('when green is three times slower, judgeStep fails it on what the proxy measured', async () => {
    // Prepare: 100 ms of work a request, and few clients, so that on a machine shared with others the
    // proxy's own queueing (which both sides share) does not drown the difference
    const lb = await stack(
      { commit: 'b1ue', workMs: 100 },
      { commit: 'a11green', workMs: 100, latencyFactor: 3 },
      50,
    );
    const from = systemClock.now();
    // A service that expects 3× regressions: fewer requests tell 3× from 1× (the statistics say 300 a side)
    const thresholds = { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxP95Ratio: 3, minRequests: 300 };

    // Act
    await new TrafficGenerator({ url: lb.url, concurrency: 8, limit: 600 }).start().done;
    const to = systemClock.now() + 1_000;
    const sample = await lb.sample(TARGETS, { from, to });
    const verdict = judgeStep({ ...sample, greenPercent: 50, windowMs: to - from }, thresholds);

    // Assess
    expect(verdict).toMatchObject({ outcome: 'fail', green: { requests: 300 } });
    expect(verdict.reason).toMatch(/^p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 50% after/);
  });

  it('when green is as healthy as blue, judgeStep passes it', async () => {
    // Prepare
    const lb = await stack({ commit: 'b1ue', workMs: 100 }, { commit: 'a11green', workMs: 100 }, 50);
    const from = systemClock.now();

    // Act
    await new TrafficGenerator({ url: lb.url, concurrency: 48, limit: 1_800 }).start().done;
    const to = systemClock.now() + 1_000;
    const verdict = judgeStep({
      ...(await lb.sample(TARGETS, { from, to })),
      greenPercent: 50,
      windowMs: to - from,
    });

    // Assess
    expect(verdict).toMatchObject({
      outcome: 'pass',
      blue: { requests: 900, errors: 0 },
      green: { requests: 900, errors: 0 },
    });
  });
});
