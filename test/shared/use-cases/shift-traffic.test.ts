import { ManualClock } from '../../../shared/clock';
import { InvalidStepInputError } from '../../../shared/domain/errors';
import type { TrafficSample } from '../../../shared/domain/traffic-judgement';
import type {
  LifecycleHookResponse,
  TrafficShiftHookDetails,
} from '../../../shared/domain/traffic-shift-hook';
import type { HttpProbe } from '../../../shared/ports/deployment';
import type {
  TrafficMetricsSource,
  TrafficRouter,
  TrafficTargets,
  TrafficWindow,
} from '../../../shared/ports/traffic';
import { shiftTraffic } from '../../../shared/use-cases/shift-traffic';
import { HOOK_REGION, hookEvent, releaseHookDetails } from '../../support/hook-event';
import { InMemoryTrafficShiftLog } from '../../support/shift-progress';

const MINUTE = 60_000;
const REGION = HOOK_REGION;

/** hookDetails as the ECS adapter sets them at UpdateService: a canary 5 → 25 → 50 → 100, 10 minutes a step. */
const details: TrafficShiftHookDetails = releaseHookDetails({
  strategy: 'canary',
  steps: [
    { percent: 5, windowMs: 10 * MINUTE },
    { percent: 25, windowMs: 10 * MINUTE },
    { percent: 50, windowMs: 10 * MINUTE },
  ],
  keepBlueMinutes: 15,
  thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 100 },
  maxExtensions: 2,
});

const healthy: TrafficSample = { requests: 2000, errors: 4, p95Ms: 180 };
const slow: TrafficSample = { requests: 1204, errors: 1, p95Ms: 412 };
const quiet: TrafficSample = { requests: 30, errors: 0, p95Ms: 175 };
const nothing: TrafficSample = { requests: 0, errors: 0 };

/** A test double of the metrics port: green's sample for each window asked, in order. */
class ChosenSamples implements TrafficMetricsSource {
  readonly windows: TrafficWindow[] = [];
  constructor(private readonly greens: TrafficSample[]) {}
  async sample(_targets: TrafficTargets, window: TrafficWindow) {
    this.windows.push(window);
    const green = this.greens.shift();
    if (!green) throw new Error('more windows sampled than the test chose samples for');
    return { blue: healthy, green };
  }
}

/** A test double of the router port: the weights set, in order. */
class RecordedWeights implements TrafficRouter {
  readonly weights: number[] = [];
  async setGreenWeight(_targets: TrafficTargets, greenPercent: number): Promise<void> {
    this.weights.push(greenPercent);
  }
}

/** The traffic shift itself makes no HTTP check (only blue-green's test checks do). */
const noProbe: HttpProbe = {
  request: () => Promise.reject(new Error('the traffic shift made an HTTP check')),
};

/** Calls the hook as ECS does: again after each callBackDelay with the hookDetails it returned. */
async function driveAsEcs(greens: TrafficSample[]) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 9));
  const metrics = new ChosenSamples(greens);
  const router = new RecordedWeights();
  const log = new InMemoryTrafficShiftLog();
  const responses: LifecycleHookResponse[] = [];
  let hookDetails: unknown = details;
  for (let call = 0; call < 20; call++) {
    const response = await shiftTraffic(hookEvent(hookDetails), {
      metrics,
      router,
      log,
      clock,
      probe: noProbe,
    });
    responses.push(response);
    if (response.hookStatus !== 'IN_PROGRESS') break;
    hookDetails = response.hookDetails;
    await clock.advance(response.callBackDelay! * 1000);
  }
  const progress = await log.get({
    executionName: details.executionName,
    environment: 'prod',
    region: REGION,
  });
  return {
    responses,
    weights: router.weights,
    windows: metrics.windows,
    progress,
    started: Date.UTC(2026, 10, 30, 9),
  };
}

describe('the traffic shift hook, called as ECS calls it', () => {
  it('when every step is healthy, it walks 5 → 25 → 50 and lets ECS shift the rest', async () => {
    // Act
    const { responses, weights, progress } = await driveAsEcs([healthy, healthy, healthy]);

    // Assess
    expect(weights).toEqual([5, 25, 50]);
    expect(responses.map((r) => [r.hookStatus, r.callBackDelay])).toEqual([
      ['IN_PROGRESS', 600],
      ['IN_PROGRESS', 600],
      ['IN_PROGRESS', 600],
      ['SUCCEEDED', undefined],
    ]);
    expect(progress?.status).toBe('shifted');
    expect(progress?.records.map((r) => [r.percent, r.outcome, r.to - r.from])).toEqual([
      [5, 'pass', 10 * MINUTE],
      [25, 'pass', 10 * MINUTE],
      [50, 'pass', 10 * MINUTE],
    ]);
  });

  it.each([
    [0, [slow], [5, 0]],
    [1, [healthy, slow], [5, 25, 0]],
    [2, [healthy, healthy, slow], [5, 25, 50, 0]],
  ])(
    'when step %i has a latency regression, it switches everything back to blue and fails with the numbers',
    async (_step, greens, expectedWeights) => {
      // Act
      const { responses, weights, progress } = await driveAsEcs(greens);

      // Assess
      expect(weights).toEqual(expectedWeights);
      expect(responses.at(-1)?.hookStatus).toBe('FAILED');
      expect(progress?.status).toBe('failed');
      expect(progress?.cause).toMatch(
        /^p95 412 ms vs baseline 180 ms \(2\.3×\) at \d+% after 10 min, 1,204 requests$/,
      );
    },
  );

  it('when the first window is quiet, it extends the step and judges the longer window, then moves on', async () => {
    // Act
    const { responses, weights, windows, started } = await driveAsEcs([quiet, healthy, healthy, healthy]);

    // Assess
    expect(weights).toEqual([5, 25, 50]);
    expect(responses.at(-1)?.hookStatus).toBe('SUCCEEDED');
    expect(windows.slice(0, 2)).toEqual([
      { from: started, to: started + 10 * MINUTE },
      { from: started, to: started + 20 * MINUTE },
    ]);
  });

  it('when the metrics stay empty past the bound, it fails saying so: missing data never passes', async () => {
    // Act
    const { responses, weights, progress } = await driveAsEcs([nothing, nothing, nothing]);

    // Assess
    expect(weights).toEqual([5, 0]);
    expect(responses.at(-1)?.hookStatus).toBe('FAILED');
    expect(progress?.cause).toMatch(
      /^step 5% could not be judged after 2 extensions: too little traffic to judge/,
    );
  });

  it('when ECS calls again after the shift ended (a retried invocation), it answers the same and moves nothing', async () => {
    // Prepare
    const { responses } = await driveAsEcs([slow]);
    const router = new RecordedWeights();
    const deps = {
      metrics: new ChosenSamples([]),
      router,
      log: new InMemoryTrafficShiftLog(),
      clock: new ManualClock(),
      probe: noProbe,
    };

    // Act
    const again = await shiftTraffic(hookEvent(responses.at(-1)!.hookDetails), deps);

    // Assess
    expect(again.hookStatus).toBe('FAILED');
    expect(router.weights).toEqual([]);
  });

  it('when called at a lifecycle stage it is not registered at, it succeeds without touching traffic', async () => {
    // Prepare
    const router = new RecordedWeights();
    const deps = {
      metrics: new ChosenSamples([]),
      router,
      log: new InMemoryTrafficShiftLog(),
      clock: new ManualClock(),
      probe: noProbe,
    };

    // Act / Assess
    await expect(shiftTraffic(hookEvent(details, 'POST_SCALE_UP'), deps)).resolves.toEqual({
      hookStatus: 'SUCCEEDED',
    });
    expect(router.weights).toEqual([]);
  });

  it("when the hookDetails are not the pipeline's, it refuses with what is wrong (ECS then rolls back)", async () => {
    // Prepare
    const deps = {
      metrics: new ChosenSamples([]),
      router: new RecordedWeights(),
      log: new InMemoryTrafficShiftLog(),
      clock: new ManualClock(),
      probe: noProbe,
    };

    // Act
    const error = await shiftTraffic(hookEvent({ S3_BUCKET_NAME: 'approvals' }), deps).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidStepInputError);
    expect((error as Error).message).toMatch(/hookDetails are not the pipeline's: executionName: /);
  });
});
