import {
  judgeKpi,
  kpiEventsNeeded,
  kpiLogEffect,
  kpiLogSpread,
  type KpiMeasurement,
  type KpiThreshold,
} from '../../../shared/domain/kpi-judgement';
import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type JudgementThresholds,
  type TrafficSample,
} from '../../../shared/domain/traffic-judgement';
import { logRatioDecidable } from '../../../shared/domain/traffic-statistics';
import { CHECKOUTS } from '../../support/kpis';

const TWO_MINUTES = 2 * 60_000;
const SHARE: KpiThreshold = { ...CHECKOUTS, name: 'payment-success', statistic: 'Average', per: 'none' };
const WITH_KPI: JudgementThresholds = { ...DEFAULT_JUDGEMENT_THRESHOLDS, kpis: [CHECKOUTS] };

const blue: TrafficSample = { requests: 190_000, errors: 190, p95Ms: 180 };
const green: TrafficSample = { requests: 10_000, errors: 10, p95Ms: 181 };

/** Checkouts that succeeded: `perRequest` of each side's requests. */
function checkouts(greenPerRequest: number, bluePerRequest = 0.97): KpiMeasurement {
  return {
    name: 'checkout-success',
    blue: { value: Math.round(blue.requests * bluePerRequest), samples: blue.requests },
    green: { value: Math.round(green.requests * greenPerRequest), samples: green.requests },
  };
}

function judge(kpis: KpiMeasurement[] | undefined, sides = { blue, green }) {
  return judgeStep({ ...sides, greenPercent: 5, windowMs: TWO_MINUTES, ...(kpis && { kpis }) }, WITH_KPI);
}

describe('judgeStep with business KPIs: green against blue on the service’s own metrics', () => {
  it('when green checks out 16% less per request, it fails naming the KPI, both values, the drop, the step and the window', () => {
    // Act
    const verdict = judge([checkouts(0.81)]);

    // Assess
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toBe(
      'checkout-success 0.81 per request vs baseline 0.97 (−16%) at 5% after 2 min, 10,000 requests',
    );
    expect(verdict.kpis).toEqual([
      expect.objectContaining({ name: 'checkout-success', outcome: 'fail', green: 0.81, blue: 0.97 }),
    ]);
  });

  it('when green’s KPI is like blue’s, the step passes and the reason carries the KPI beside errors and p95', () => {
    // Act
    const verdict = judge([checkouts(0.968)]);

    // Assess
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toBe(
      'errors 0.1% vs 0.1%, p95 181 ms vs 180 ms, checkout-success 0.97 per request vs baseline 0.97 (±0%) at 5% after 2 min, 10,000 requests',
    );
  });

  it('when the KPI was not measured at all, the step is inconclusive (missing data never passes)', () => {
    // Act
    const verdict = judge(undefined);

    // Assess: no datapoints for a count per request are 0 events on both sides: nothing to tell apart.
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(
      /^checkout-success 0 per request vs baseline 0 \(±0%\) cannot yet be told from noise/,
    );
  });

  it('when green reports no KPI while blue does, it fails: green stopped doing what blue does', () => {
    // Act
    const verdict = judge([{ name: 'checkout-success', blue: { value: 184_300, samples: 190_000 } }]);

    // Assess
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^checkout-success 0 per request vs baseline 0.97 \(−100%\) at 5%/);
  });

  it('when too few checkouts tell a 10% drop from noise, the step is inconclusive and says how many are needed', () => {
    // Prepare: 1,000 green requests, a 5% drop (not clear either way)
    const few = { green: { ...green, requests: 1_000 }, blue };

    // Act
    const verdict = judge(
      [
        {
          name: 'checkout-success',
          blue: { value: 184_300, samples: 190_000 },
          green: { value: 922, samples: 1_000 },
        },
      ],
      few,
    );

    // Assess
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(
      /^checkout-success 0.92 per request vs baseline 0.97 \(−5%\) cannot yet be told from noise: telling a 10% drop needs about [\d,]+ green events \(at 5% after 2 min, 1,000 requests\)$/,
    );
  });

  it('when errors or latency already fail, that verdict stands', () => {
    // Act
    const verdict = judge([checkouts(0.5)], { blue, green: { ...green, p95Ms: 500 } });

    // Assess
    expect(verdict.outcome).toBe('fail');
    expect(verdict.reason).toMatch(/^p95 500 ms vs baseline 180 ms/);
  });

  it('when the window has fewer requests than minRequests, it is inconclusive whatever the KPI says', () => {
    // Act
    const verdict = judge([checkouts(0.1)], { blue, green: { ...green, requests: 500 } });

    // Assess
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toMatch(/^too little traffic to judge: green served 500 requests/);
  });

  it('when blue and green run the same version, the KPI is named as not judged and errors and latency decide', () => {
    // Act
    const verdict = judge([
      {
        name: 'checkout-success',
        notJudged: 'blue and green both run version 1.4.0, so their datapoints cannot be told apart',
      },
    ]);

    // Assess
    expect(verdict.outcome).toBe('pass');
    expect(verdict.reason).toContain(
      'checkout-success not judged: blue and green both run version 1.4.0, so their datapoints cannot be told apart',
    );
  });
});

describe('judgeKpi: one KPI', () => {
  it('judges an Average as a share of 0/1 samples: a success share of 85% against 99% over thousands of attempts fails', () => {
    // Act
    const verdict = judgeKpi(
      SHARE,
      {
        name: SHARE.name,
        blue: { value: 0.99, samples: 40_000 },
        green: { value: 0.85, samples: 8_000 },
      },
      { blue: 0, green: 0 },
    );

    // Assess
    expect(verdict).toMatchObject({
      outcome: 'fail',
      reason: 'payment-success 0.85 vs baseline 0.99 (−14%)',
    });
  });

  it('passes a share like blue’s once the samples can tell a 10% drop', () => {
    const verdict = judgeKpi(
      SHARE,
      { name: SHARE.name, blue: { value: 0.99, samples: 40_000 }, green: { value: 0.988, samples: 10_000 } },
      { blue: 0, green: 0 },
    );
    expect(verdict.outcome).toBe('pass');
  });

  it('calls an Average without datapoints on a side inconclusive, naming the side and the dimension', () => {
    const verdict = judgeKpi(
      SHARE,
      { name: SHARE.name, blue: { value: 0.99, samples: 40_000 } },
      { blue: 0, green: 0 },
    );
    expect(verdict).toEqual({
      name: 'payment-success',
      outcome: 'inconclusive',
      reason: 'payment-success: no CheckoutSucceeded datapoints for green (its Version dimension)',
    });
  });

  it('refuses to judge an Average that is no share, saying what to report instead', () => {
    const verdict = judgeKpi(
      SHARE,
      { name: SHARE.name, blue: { value: 42.5, samples: 4_000 }, green: { value: 41, samples: 200 } },
      { blue: 0, green: 0 },
    );
    expect(verdict.outcome).toBe('inconclusive');
    expect(verdict.reason).toContain('an Average KPI is judged as a share of 0/1 samples');
  });
});

describe('the KPI statistics', () => {
  it('needs about 800 green events at a 5% step to tell a 20% drop from none, and then can', () => {
    // Prepare: blue serves 19 times green's traffic
    const blueSide = { events: 19 * 800 };

    // Act
    const needed = kpiEventsNeeded(blueSide, 0.2);

    // Assess
    expect(needed).toBeGreaterThan(700);
    expect(needed).toBeLessThan(900);
    expect(logRatioDecidable(kpiLogSpread({ events: needed }, blueSide), kpiLogEffect(0.2))).toBe(true);
    expect(logRatioDecidable(kpiLogSpread({ events: needed - 20 }, blueSide), kpiLogEffect(0.2))).toBe(false);
  });

  it('needs more events to tell a smaller drop, and cannot tell any while blue has too few', () => {
    expect(kpiEventsNeeded({ events: 100_000 }, 0.1)).toBeGreaterThan(
      3 * kpiEventsNeeded({ events: 100_000 }, 0.2),
    );
    expect(kpiEventsNeeded({ events: 100 }, 0.1)).toBe(Number.POSITIVE_INFINITY);
  });
});
