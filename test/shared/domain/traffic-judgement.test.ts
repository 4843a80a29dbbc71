import { DEFAULT_JUDGEMENT_THRESHOLDS, judgeStep } from '../../../shared/domain/traffic-judgement';

const TEN_MINUTES = 10 * 60_000;
const healthy = { requests: 20_000, errors: 40, p95Ms: 180 };

describe('judgeStep: green against blue over the same window', () => {
  it('fails a green whose p95 is over twice the baseline, saying by how much, where and on how much traffic', () => {
    const verdict = judgeStep({
      blue: healthy,
      green: { requests: 1_204, errors: 2, p95Ms: 412 },
      greenPercent: 5,
      windowMs: TEN_MINUTES,
    });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('p95 412 ms vs baseline 180 ms (2.3×) at 5% after 10 min, 1,204 requests');
  });

  it('fails a green above 5% errors when blue does better', () => {
    const verdict = judgeStep({
      blue: healthy,
      green: { requests: 1_000, errors: 80, p95Ms: 180 },
      greenPercent: 25,
      windowMs: TEN_MINUTES,
    });
    expect(verdict).toMatchObject({ outcome: 'fail', greenPercent: 25, windowMs: TEN_MINUTES });
    expect(verdict.reason).toBe('errors 8.0% vs baseline 0.2% at 25% after 10 min, 1,000 requests');
  });

  it('does not blame green for errors blue has as much of (the fault is elsewhere)', () => {
    const failing = { requests: 1_000, errors: 90, p95Ms: 180 };
    expect(
      judgeStep({ blue: failing, green: { ...failing, errors: 90 }, greenPercent: 50, windowMs: TEN_MINUTES })
        .outcome,
    ).toBe('pass');
  });

  it.each([
    ['exactly at the error threshold', { requests: 1_000, errors: 50, p95Ms: 360 }, 'pass'],
    ['just over it', { requests: 1_000, errors: 51, p95Ms: 180 }, 'fail'],
    ['exactly twice the baseline p95', { requests: 1_000, errors: 0, p95Ms: 360 }, 'pass'],
    ['just over twice', { requests: 1_000, errors: 0, p95Ms: 361 }, 'fail'],
  ] as const)('at the edges: %s', (_case, green, outcome) => {
    expect(judgeStep({ blue: healthy, green, greenPercent: 5, windowMs: TEN_MINUTES }).outcome).toBe(outcome);
  });

  it.each([
    ['green', { requests: 99, errors: 99, p95Ms: 9_000 }, healthy, 'green served 99 requests'],
    ['blue', healthy, { requests: 40, errors: 0, p95Ms: 100 }, 'blue served 40 requests'],
  ] as const)(
    'with too little traffic on %s the step is inconclusive, not a pass or a failure',
    (_side, green, blue, says) => {
      const verdict = judgeStep({ blue, green, greenPercent: 5, windowMs: TEN_MINUTES });
      expect(verdict.outcome).toBe('inconclusive');
      expect(verdict.reason).toContain(says);
      expect(verdict.reason).toContain(`${DEFAULT_JUDGEMENT_THRESHOLDS.minRequests} needed`);
    },
  );

  it('treats a missing latency measurement as inconclusive, never as a pass', () => {
    const verdict = judgeStep({
      blue: healthy,
      green: { requests: 500, errors: 0 },
      greenPercent: 5,
      windowMs: TEN_MINUTES,
    });
    expect(verdict).toMatchObject({
      outcome: 'inconclusive',
      reason: expect.stringContaining('no latency measured for green'),
    });
  });

  it('takes per-service thresholds', () => {
    const green = { requests: 1_000, errors: 0, p95Ms: 270 };
    const strict = { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxP95Ratio: 1.2 };
    expect(judgeStep({ blue: healthy, green, greenPercent: 5, windowMs: TEN_MINUTES }).outcome).toBe('pass');
    expect(judgeStep({ blue: healthy, green, greenPercent: 5, windowMs: TEN_MINUTES }, strict).outcome).toBe(
      'fail',
    );
  });
});
