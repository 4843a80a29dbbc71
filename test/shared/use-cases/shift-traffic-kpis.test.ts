import { ManualClock } from '../../../shared/clock';
import type { KpiMeasurement, KpiThreshold } from '../../../shared/domain/kpi-judgement';
import type { TrafficSample } from '../../../shared/domain/traffic-judgement';
import type { ShiftProgress } from '../../../shared/domain/traffic-shift';
import {
  trafficShiftHookDetailsSchema,
  type LifecycleHookEvent,
  type TrafficShiftHookDetails,
} from '../../../shared/domain/traffic-shift-hook';
import type { HttpProbe, StageKey } from '../../../shared/ports/deployment';
import type {
  KpiMetricsSource,
  TrafficMetricsSource,
  TrafficRouter,
  TrafficTargets,
  TrafficWindow,
} from '../../../shared/ports/traffic';
import type { TrafficShiftLog } from '../../../shared/ports/traffic-shift';
import { shiftTraffic, type ShiftTrafficDeps } from '../../../shared/use-cases/shift-traffic';

/** The traffic shift hook with business KPIs in its plan: what it asks the KPI port and what it decides. */

const MINUTE = 60_000;
const REGION = 'eu-west-1';
const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const targets: TrafficTargets = {
  region: REGION,
  loadBalancer: `${ELB}:loadbalancer/app/orders/50dc6c495c0c9188`,
  listenerRule: `${ELB}:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  blueTargetGroup: `${ELB}:targetgroup/orders-a/73e2d6bc24d8a067`,
  greenTargetGroup: `${ELB}:targetgroup/orders-b/2453ed029918f21f`,
};
const CHECKOUTS: KpiThreshold = {
  name: 'checkout-success',
  namespace: 'Orders',
  metricName: 'CheckoutSucceeded',
  statistic: 'Sum',
  dimensions: { Service: 'orders-api' },
  revisionDimension: 'Version',
  maxDrop: 0.1,
};

/** hookDetails as deploy-service and the ECS adapter set them: a canary at 5% for 10 minutes, judged on a KPI. */
const details: TrafficShiftHookDetails = {
  executionName: 'tag-orders-api-v1-5-0',
  service: 'orders-api',
  environment: 'prod',
  region: REGION,
  versions: { blue: '1.4.0', green: '1.5.0' },
  targets,
  plan: {
    strategy: 'canary',
    steps: [{ percent: 5, windowMs: 10 * MINUTE }],
    keepBlueMinutes: 15,
    thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 100, kpis: [CHECKOUTS] },
    maxExtensions: 1,
  },
};

const blue: TrafficSample = { requests: 190_000, errors: 190, p95Ms: 180 };
const green: TrafficSample = { requests: 10_000, errors: 10, p95Ms: 180 };

class Fixed implements TrafficMetricsSource, TrafficRouter, KpiMetricsSource {
  readonly asked: { region: string; versions: { blue: string; green: string }; window: TrafficWindow }[] = [];
  constructor(private readonly greenPerRequest: number) {}
  async sample() {
    return { blue, green };
  }
  async setGreenWeight(): Promise<void> {}
  async sampleKpis(
    region: string,
    kpis: KpiThreshold[],
    versions: { blue: string; green: string },
    window: TrafficWindow,
  ): Promise<KpiMeasurement[]> {
    this.asked.push({ region, versions, window });
    return kpis.map((kpi) => ({
      name: kpi.name,
      blue: { value: blue.requests * 0.97, samples: blue.requests },
      green: { value: green.requests * this.greenPerRequest, samples: green.requests },
    }));
  }
}

class InMemoryShiftLog implements TrafficShiftLog {
  last?: ShiftProgress;
  async record(_key: StageKey, progress: ShiftProgress): Promise<void> {
    this.last = progress;
  }
  async get(): Promise<ShiftProgress | undefined> {
    return this.last;
  }
}

function event(hookDetails: unknown): LifecycleHookEvent {
  return {
    executionId: 'a635edb5-a66b-4f44-bf3f-fcee4b3641a5',
    lifecycleStage: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
    resourceArn:
      'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/TFX5sH9q9XDboDTOv0rIt',
    executionDetails: {},
    hookDetails,
  };
}

/** A canary's steps make no HTTP check (only blue-green's test checks do). */
const noProbe: HttpProbe = {
  request: () => Promise.reject(new Error('the traffic shift made an HTTP check')),
};

/** The first call (5% to green), then the call that judges the step's window. */
async function judgeFirstStep(
  hookDetails: TrafficShiftHookDetails,
  deps: Omit<ShiftTrafficDeps, 'log' | 'clock' | 'probe'>,
) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 9));
  const log = new InMemoryShiftLog();
  const all = { ...deps, log, clock, probe: noProbe };
  const first = await shiftTraffic(event(hookDetails), all);
  await clock.advance(first.callBackDelay! * 1000);
  const second = await shiftTraffic(event(first.hookDetails), all);
  return { second, progress: log.last };
}

describe('the traffic shift hook with business KPIs', () => {
  it('when green loses checkouts while its errors and latency are fine, it switches back to blue naming the KPI', async () => {
    // Prepare
    const source = new Fixed(0.81);

    // Act
    const { second, progress } = await judgeFirstStep(details, {
      metrics: source,
      router: source,
      kpis: source,
    });

    // Assess
    expect(second.hookStatus).toBe('FAILED');
    expect(progress?.cause).toContain(
      'checkout-success 0.81 per request vs baseline 0.97 (−16%) at 5% after 10 min, 10,000 requests',
    );
    expect(source.asked).toEqual([
      {
        region: REGION,
        versions: { blue: '1.4.0', green: '1.5.0' },
        window: { from: Date.UTC(2026, 10, 30, 9), to: Date.UTC(2026, 10, 30, 9) + 10 * MINUTE },
      },
    ]);
  });

  it('when green’s checkouts are like blue’s, the step passes with the KPI in its reason', async () => {
    const source = new Fixed(0.969);
    const { second, progress } = await judgeFirstStep(details, {
      metrics: source,
      router: source,
      kpis: source,
    });
    expect(second.hookStatus).toBe('SUCCEEDED');
    expect(progress?.records[0]?.reason).toContain('checkout-success 0.97 per request vs baseline 0.97');
  });

  it('when blue’s revision reports no version, it asks CloudWatch nothing and names the KPI as not judged', async () => {
    // Prepare
    const source = new Fixed(0.5);
    const { versions: _versions, ...rest } = details;

    // Act
    const { second, progress } = await judgeFirstStep(
      { ...rest, versions: { green: '1.5.0' } },
      { metrics: source, router: source, kpis: source },
    );

    // Assess
    expect(source.asked).toEqual([]);
    expect(second.hookStatus).toBe('SUCCEEDED');
    expect(progress?.records[0]?.reason).toContain(
      "checkout-success not judged: blue's revision reports no PIPELINE_VERSION (deployed outside the pipeline)",
    );
  });

  it.each([
    [
      'both sides run one version',
      { blue: '1.5.0', green: '1.5.0' },
      'blue and green both run version 1.5.0, so their datapoints cannot be told apart',
    ],
    [
      'the hook was not told the versions',
      undefined,
      'the hook was not told the versions blue and green run',
    ],
  ])('when %s, it asks CloudWatch nothing and names the KPI as not judged', async (_case, versions, why) => {
    // Prepare
    const source = new Fixed(0.5);
    const { versions: _versions, ...rest } = details;

    // Act
    const { second, progress } = await judgeFirstStep(
      { ...rest, ...(versions && { versions }) },
      { metrics: source, router: source, kpis: source },
    );

    // Assess
    expect(source.asked).toEqual([]);
    expect(second.hookStatus).toBe('SUCCEEDED');
    expect(progress?.records[0]?.reason).toContain(`checkout-success not judged: ${why}`);
  });

  it('when the plan has KPIs but the hook was wired without a KPI source, it says so instead of passing', async () => {
    const source = new Fixed(0.97);
    await expect(judgeFirstStep(details, { metrics: source, router: source })).rejects.toThrow(
      'the plan of orders-api prod/eu-west-1 judges KPIs, but the hook has no KPI metrics source',
    );
  });

  it('keeps the KPIs and the versions through hookDetails (ECS hands back what the hook returned)', () => {
    const parsed = trafficShiftHookDetailsSchema.parse(JSON.parse(JSON.stringify(details)));
    expect(parsed.plan.thresholds.kpis).toEqual([CHECKOUTS]);
    expect(parsed.versions).toEqual({ blue: '1.4.0', green: '1.5.0' });
  });
});
