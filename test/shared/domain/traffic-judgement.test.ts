import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type TrafficSample,
} from '../../../shared/domain/traffic-judgement';
import {
  errorRateExcessZ,
  errorRateUpperBound,
  logRatioDecidable,
  logRatioSamplesNeeded,
  P95_SPREAD,
  p95FailRatio,
  p95RatioLogSpread,
  p95RequestsNeeded,
} from '../../../shared/domain/traffic-statistics';

const TEN_MINUTES = 10 * 60_000;
const healthy = { requests: 20_000, errors: 40, p95Ms: 180 };

function judge(green: TrafficSample, blue: TrafficSample = healthy, greenPercent = 5) {
  return judgeStep({ blue, green, greenPercent, windowMs: TEN_MINUTES });
}

describe('judgeStep: green against blue over the same window', () => {
  it('fails a green whose p95 is over twice the baseline, saying by how much, where and on how much traffic', () => {
    const verdict = judge({ requests: 1_204, errors: 2, p95Ms: 412 });
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe('p95 412 ms vs baseline 180 ms (2.3×) at 5% after 10 min, 1,204 requests');
  });

  it('fails a green above 5% errors when blue does better', () => {
    const verdict = judge({ requests: 1_000, errors: 80, p95Ms: 180 }, healthy, 25);
    expect(verdict).toMatchObject({ outcome: 'fail', greenPercent: 25, windowMs: TEN_MINUTES });
    expect(verdict.reason).toBe('errors 8.0% vs baseline 0.2% at 25% after 10 min, 1,000 requests');
  });

  it('does not blame green for errors blue has as much of (the fault is elsewhere)', () => {
    const failing = { requests: 1_000, errors: 90, p95Ms: 180 };
    expect(judge({ ...failing, errors: 100 }, failing, 50).outcome).toBe('pass');
  });

  it('says what passed, with both sides numbers', () => {
    expect(judge({ requests: 1_204, errors: 3, p95Ms: 181 }).reason).toBe(
      'errors 0.2% vs 0.2%, p95 181 ms vs 180 ms at 5% after 10 min, 1,204 requests',
    );
  });

  it('writes sub-10 ms latencies with two significant digits (the local stack answers that fast)', () => {
    const verdict = judge(
      { requests: 2_000, errors: 0, p95Ms: 9.4321 },
      { requests: 2_000, errors: 0, p95Ms: 3.1 },
    );
    expect(verdict.reason).toBe('p95 9.4 ms vs baseline 3.1 ms (3.0×) at 5% after 10 min, 2,000 requests');
  });

  describe('errors: worse than blue beyond chance, and possibly above the threshold', () => {
    it.each([
      // At 1,000 requests the counts cannot rule out 5% once green shows about 3.5% against blue's 0.2%.
      ['2.0% against 0.2%: worse than blue, but clearly under 5%', 20, 'pass'],
      ['5.0% against 0.2%: may be above 5%', 50, 'fail'],
      ['8.0% against 0.2%', 80, 'fail'],
    ] as const)('%s', (_case, errors, outcome) => {
      expect(judge({ requests: 1_000, errors, p95Ms: 180 }).outcome).toBe(outcome);
    });

    it('does not fail 6% errors on green when blue shows 5% on as much traffic (within chance)', () => {
      const blue = { requests: 1_000, errors: 50, p95Ms: 180 };
      expect(judge({ requests: 1_000, errors: 60, p95Ms: 180 }, blue, 50).outcome).toBe('pass');
    });
  });

  describe('p95: the threshold less what sampling explains', () => {
    it.each([
      ['1.5× on 1,000 requests (the fail line sits near 1.6×)', 270, 'pass'],
      ['1.8× on 1,000 requests', 324, 'fail'],
      ['exactly 2×', 360, 'fail'],
    ] as const)('%s', (_case, p95Ms, outcome) => {
      expect(judge({ requests: 1_000, errors: 0, p95Ms }).outcome).toBe(outcome);
    });

    it('lets the fail line rise towards the threshold as the samples grow', () => {
      const green = { requests: 200_000, errors: 0, p95Ms: 342 };
      const blue = { requests: 200_000, errors: 0, p95Ms: 180 };
      expect(judge(green, blue, 50).outcome).toBe('pass');
      expect(judge({ ...green, p95Ms: 370 }, blue, 50).outcome).toBe('fail');
    });

    it('is inconclusive when per-service minimums leave too few requests to tell 2× from noise', () => {
      const few = { ...DEFAULT_JUDGEMENT_THRESHOLDS, minRequests: 100 };
      const verdict = judgeStep(
        { blue: healthy, green: { requests: 150, errors: 0, p95Ms: 280 }, greenPercent: 5, windowMs: 60_000 },
        few,
      );
      expect(verdict.outcome).toBe('inconclusive');
      expect(verdict.reason).toBe(
        'p95 280 ms vs baseline 180 ms (1.6×) cannot yet be told from noise: telling 2× from 1× needs ' +
          `about ${p95RequestsNeeded(20_000, 2)} green requests (at 5% after 1 min, 150 requests)`,
      );
    });

    it('fails a p95 far above the threshold even on too few requests to judge a close one', () => {
      const few = { ...DEFAULT_JUDGEMENT_THRESHOLDS, minRequests: 100 };
      const verdict = judgeStep(
        { blue: healthy, green: { requests: 150, errors: 0, p95Ms: 900 }, greenPercent: 5, windowMs: 60_000 },
        few,
      );
      expect(verdict.outcome).toBe('fail');
    });

    it('compares with a blue at 0 ms without dividing by zero', () => {
      const still = { requests: 1_000, errors: 0, p95Ms: 0 };
      expect(judge(still, still, 50).outcome).toBe('pass');
      expect(judge({ ...still, p95Ms: 5 }, still, 50).outcome).toBe('fail');
    });
  });

  it.each([
    ['green', { requests: 799, errors: 799, p95Ms: 9_000 }, healthy, 'green served 799 requests'],
    ['blue', healthy, { requests: 40, errors: 0, p95Ms: 100 }, 'blue served 40 requests'],
  ] as const)(
    'with too little traffic on %s the step is inconclusive, not a pass or a failure',
    (_side, green, blue, says) => {
      const verdict = judge(green, blue);
      expect(verdict.outcome).toBe('inconclusive');
      expect(verdict.reason).toContain(says);
      expect(verdict.reason).toContain(`${DEFAULT_JUDGEMENT_THRESHOLDS.minRequests} needed`);
    },
  );

  it('treats a missing latency measurement as inconclusive, never as a pass', () => {
    const verdict = judge({ requests: 1_500, errors: 0 });
    expect(verdict).toMatchObject({
      outcome: 'inconclusive',
      reason: expect.stringContaining('no latency measured for green'),
    });
  });

  it('takes per-service thresholds', () => {
    const green = { requests: 2_000, errors: 0, p95Ms: 270 };
    const strict = { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxP95Ratio: 1.5 };
    expect(judge(green).outcome).toBe('pass');
    expect(judgeStep({ blue: healthy, green, greenPercent: 5, windowMs: TEN_MINUTES }, strict).outcome).toBe(
      'fail',
    );
  });
});

describe('the statistics behind it', () => {
  it('scores an error rate against the baseline with a pooled two-proportion z', () => {
    // pooled 0.05, spread √(0.05·0.95·(1/1000 + 1/1000)) = 0.009747
    expect(errorRateExcessZ({ requests: 1_000, errors: 60 }, { requests: 1_000, errors: 40 })).toBeCloseTo(
      2.052,
      3,
    );
    expect(errorRateExcessZ({ requests: 1_000, errors: 0 }, { requests: 1_000, errors: 0 })).toBe(0);
    expect(errorRateExcessZ({ requests: 0, errors: 0 }, { requests: 1_000, errors: 3 })).toBe(0);
  });

  it('bounds an error rate from above (Wilson), sensibly at 0 errors and at none served', () => {
    expect(errorRateUpperBound({ requests: 1_000, errors: 0 })).toBeCloseTo(0.00946, 4);
    expect(errorRateUpperBound({ requests: 1_000, errors: 50 })).toBeCloseTo(0.0759, 3);
    expect(errorRateUpperBound({ requests: 0, errors: 0 })).toBe(1);
  });

  it('needs about 800 requests a side to tell 2× from 1× on equal traffic, fewer on green when blue is big', () => {
    expect(logRatioDecidable(p95RatioLogSpread(800, 800), Math.log(2))).toBe(true);
    expect(logRatioDecidable(p95RatioLogSpread(700, 700), Math.log(2))).toBe(false);
    expect(p95RequestsNeeded(20_000, 2)).toBe(361);
    expect(p95RequestsNeeded(100, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(p95FailRatio(0, 2)).toBe(2);
  });

  it('sizes the p95 sample as any log-ratio test, with the p95 spread per request', () => {
    expect(p95RequestsNeeded(20_000, 2)).toBe(logRatioSamplesNeeded(20_000, Math.log(2), P95_SPREAD));
    expect(logRatioSamplesNeeded(20_000, Math.log(2), 1)).toBeLessThan(p95RequestsNeeded(20_000, 2) / 4);
  });
});
