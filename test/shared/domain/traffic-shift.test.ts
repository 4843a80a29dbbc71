import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type TrafficSample,
} from '../../../shared/domain/traffic-judgement';
import {
  advanceShift,
  currentWindow,
  longestShiftMs,
  planTrafficShift,
  startShift,
  type ShiftAction,
  type ShiftTransition,
  type StrategySettings,
  type TrafficShiftPlan,
} from '../../../shared/domain/traffic-shift';

const MINUTE = 60_000;
const DEFAULTS = { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxExtensions: 2 };

function plan(settings: Partial<StrategySettings> = {}): TrafficShiftPlan {
  const planned = planTrafficShift({ strategy: 'canary', keepBlueMinutes: 15, ...settings }, DEFAULTS);
  if (!planned) throw new Error('expected a plan');
  return planned;
}

const healthy: TrafficSample = { requests: 1000, errors: 2, p95Ms: 180 };
const slow: TrafficSample = { requests: 1204, errors: 1, p95Ms: 412 };
const quiet: TrafficSample = { requests: 40, errors: 0, p95Ms: 170 };

type Seen = 'pass' | 'fail' | 'quiet';
const greenOf: Record<Seen, TrafficSample> = { pass: healthy, fail: slow, quiet };

/** Runs a shift through the verdicts on `seen` (one a window), each window as long as the step asks. */
function run(p: TrafficShiftPlan, seen: Seen[]): { actions: ShiftAction[]; last: ShiftTransition } {
  let now = 0;
  let last = startShift(p, now);
  const actions: ShiftAction[] = [last.action];
  for (const s of seen) {
    if (last.action.kind === 'complete' || last.action.kind === 'roll-back')
      throw new Error('the shift ended before every verdict was used');
    now += last.action.waitMs;
    const window = currentWindow(last.progress, now);
    const step = p.steps[last.progress.step]!;
    const verdict = judgeStep(
      { blue: healthy, green: greenOf[s], greenPercent: step.percent, windowMs: window.to - window.from },
      p.thresholds,
    );
    last = advanceShift(p, last.progress, verdict, window);
    actions.push(last.action);
  }
  return { actions, last };
}

describe('the plan of a traffic shift', () => {
  it.each<[string, Partial<StrategySettings>, [number, number][]]>([
    [
      'a canary with the default steps',
      {},
      [
        [5, 10],
        [25, 10],
        [50, 10],
      ],
    ],
    [
      'a canary with one pause per step',
      { canary: { steps: [1, 10, 100], pauseMinutes: [2, 20] } },
      [
        [1, 2],
        [10, 20],
      ],
    ],
    [
      'a linear shift of 30% every 5 minutes',
      { strategy: 'linear', linear: { stepPercent: 30, stepMinutes: 5 } },
      [
        [30, 5],
        [60, 5],
        [90, 5],
      ],
    ],
    [
      'a linear shift of 25% (the last step lands on 100)',
      { strategy: 'linear', linear: { stepPercent: 25, stepMinutes: 1 } },
      [
        [25, 1],
        [50, 1],
        [75, 1],
      ],
    ],
    ['blue-green (all at once, nothing judged)', { strategy: 'blue-green' }, []],
  ])('when it is %s, the judged steps are the weights below 100 with their windows', (_, settings, steps) => {
    // Act
    const p = plan(settings);

    // Assess
    expect(p.steps.map((s) => [s.percent, s.windowMs / MINUTE])).toEqual(steps);
  });

  it('when the strategy is rolling, there is no plan', () => {
    expect(planTrafficShift({ strategy: 'rolling', keepBlueMinutes: 15 }, DEFAULTS)).toBeUndefined();
  });

  it('when judgement overrides are configured, they replace the defaults', () => {
    // Act
    const p = plan({
      judgement: { maxErrorRate: 0.01, maxP95Ratio: 1.5, minRequests: 500, maxExtensions: 4 },
    });

    // Assess
    expect(p.thresholds).toEqual({ maxErrorRate: 0.01, maxP95Ratio: 1.5, minRequests: 500 });
    expect(p.maxExtensions).toBe(4);
    expect(longestShiftMs(p)).toBe(3 * 10 * MINUTE * 5);
  });
});

describe('the progress of a traffic shift', () => {
  it.each<[string, Seen[], string[], string]>([
    [
      'every step passes',
      ['pass', 'pass', 'pass'],
      ['set-weight 5', 'set-weight 25', 'set-weight 50', 'complete'],
      'shifted',
    ],
    ['the first step fails', ['fail'], ['set-weight 5', 'roll-back'], 'failed'],
    ['the second step fails', ['pass', 'fail'], ['set-weight 5', 'set-weight 25', 'roll-back'], 'failed'],
    [
      'the last step fails',
      ['pass', 'pass', 'fail'],
      ['set-weight 5', 'set-weight 25', 'set-weight 50', 'roll-back'],
      'failed',
    ],
    [
      'a quiet window extends, then passes',
      ['quiet', 'pass', 'pass', 'pass'],
      ['set-weight 5', 'extend 5', 'set-weight 25', 'set-weight 50', 'complete'],
      'shifted',
    ],
    [
      'a quiet window extends, then fails',
      ['pass', 'quiet', 'fail'],
      ['set-weight 5', 'set-weight 25', 'extend 25', 'roll-back'],
      'failed',
    ],
    [
      'quiet beyond the bound fails (missing data never passes)',
      ['quiet', 'quiet', 'quiet'],
      ['set-weight 5', 'extend 5', 'extend 5', 'roll-back'],
      'failed',
    ],
  ])('when %s, the shift moves as it should', (_, seen, actions, status) => {
    // Act
    const { actions: taken, last } = run(plan(), seen);

    // Assess
    expect(taken.map((a) => ('percent' in a ? `${a.kind} ${a.percent}` : a.kind))).toEqual(actions);
    expect(last.progress.status).toBe(status);
    expect(last.progress.records.map((r) => r.outcome)).toEqual(
      seen.map((s) => ({ pass: 'pass', fail: 'fail', quiet: 'inconclusive' })[s]),
    );
  });

  it('when a step fails, the cause carries the numbers: latency, baseline, ratio, weight, window and requests', () => {
    // Act
    const { last } = run(plan(), ['fail']);

    // Assess
    expect(last.action).toEqual({
      kind: 'roll-back',
      cause: 'p95 412 ms vs baseline 180 ms (2.3×) at 5% after 10 min, 1,204 requests',
    });
    expect(last.progress.records[0]).toMatchObject({
      step: 0,
      percent: 5,
      extension: 0,
      from: 0,
      to: 10 * MINUTE,
    });
  });

  it('when a step stays quiet past its extensions, the cause says it could not be judged and why', () => {
    // Act
    const { last } = run(plan(), ['quiet', 'quiet', 'quiet']);

    // Assess
    expect(last.progress.cause).toBe(
      'step 5% could not be judged after 2 extensions: too little traffic to judge: green served 40 requests, 800 needed (at 5% after 30 min, 40 requests)',
    );
    // Each extension judges the whole step so far, so traffic adds up rather than starting over.
    expect(last.progress.records.map((r) => [r.from, r.to, r.extension])).toEqual([
      [0, 10 * MINUTE, 0],
      [0, 20 * MINUTE, 1],
      [0, 30 * MINUTE, 2],
    ]);
  });

  it('when the next step starts, its window starts when green got its weight', () => {
    // Act
    const { last } = run(plan(), ['quiet', 'pass']);

    // Assess
    expect(last.progress).toMatchObject({ step: 1, stepStartedAt: 20 * MINUTE, extensions: 0 });
  });

  it('when a blue-green shift starts, it completes at once (ECS shifts everything)', () => {
    expect(startShift(plan({ strategy: 'blue-green' }), 0).action).toEqual({ kind: 'complete' });
  });

  it('when a verdict comes after the shift ended, it is refused', () => {
    // Prepare
    const { last } = run(plan(), ['fail']);
    const verdict = judgeStep({ blue: healthy, green: healthy, greenPercent: 5, windowMs: MINUTE });

    // Act / Assess
    expect(() => advanceShift(plan(), last.progress, verdict, { from: 0, to: 1 })).toThrow(
      'the shift is already failed',
    );
  });
});
