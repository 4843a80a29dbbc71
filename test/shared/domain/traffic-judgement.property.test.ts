import fc from 'fast-check';
import { usePropertySeed } from '../../helpers/property-seed';
import { HANG_LIMIT_MS } from '../../helpers/hang-limit';
import { normal, random } from '../../support/simulated-draws';
import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type StepOutcome,
  type TrafficSample,
} from '../../../shared/domain/traffic-judgement';

jest.setTimeout(HANG_LIMIT_MS);

const seed = usePropertySeed();

/**
 * The judgement's promise, measured: windows of simulated requests at the minimum sample size (green at
 * `minRequests`, blue at 1×, 3× or 19× that: a 50%, 25% or 5% step), drawn from latency distributions of
 * several shapes and error rates, judged by judgeStep. With green drawn like blue, at most 1% of windows may
 * roll back; with green at twice blue's latency (every quantile, so the p95 too) or at 8% errors against a
 * healthy blue, at least 99% must. Each scenario carries its own data seed, so a failure replays.
 */
const RUNS = 1_000;
const MIN = DEFAULT_JUDGEMENT_THRESHOLDS.minRequests;

type Shape = 'Weibull' | 'log-logistic' | 'shifted exponential' | 'two modes';
interface Scenario {
  dataSeed: number;
  shape: Shape;
  /** The latency scale, ms (about the median). */
  scaleMs: number;
  /** The shape's parameter, from its own range. */
  tail: number;
  blueErrorRate: number;
  /** Blue's requests per green request: 1 (a 50% step), 3 (25%), 19 (5%). */
  load: 1 | 3 | 19;
}

/** Each shape's parameter range: tails up to as long as judgeStep's P95_SPREAD allows for. */
const TAILS: Record<Shape, { min: number; max: number }> = {
  Weibull: { min: 0.7, max: 3 },
  'log-logistic': { min: 2.5, max: 8 },
  'shifted exponential': { min: 0.2, max: 2 },
  'two modes': { min: 3, max: 6 },
};

function scenarios(blueErrorRate: fc.Arbitrary<number>): Scenario[] {
  const scenario = fc
    .record({
      dataSeed: fc.integer(),
      shape: fc.constantFrom<Shape>('Weibull', 'log-logistic', 'shifted exponential', 'two modes'),
      scaleMs: fc.integer({ min: 5, max: 400 }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      blueErrorRate,
      load: fc.constantFrom<1 | 3 | 19>(1, 3, 19),
    })
    .map(({ at, ...s }) => ({
      ...s,
      tail: TAILS[s.shape].min + at * (TAILS[s.shape].max - TAILS[s.shape].min),
    }));
  return fc.sample(scenario, { seed, numRuns: RUNS });
}

/** Marsaglia and Tsang's gamma draw, for shape ≥ 1. */
function gamma(next: () => number, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(next);
    const v = (1 + c * x) ** 3;
    if (v > 0 && Math.log(1 - next()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** The latency below which a share `u` of requests answer: the shape's quantile function. */
function quantile(s: Scenario, u: number): number {
  switch (s.shape) {
    case 'Weibull':
      return s.scaleMs * (-Math.log(1 - u)) ** (1 / s.tail);
    case 'log-logistic':
      return s.scaleMs * (u / (1 - u)) ** (1 / s.tail);
    case 'shifted exponential':
      return s.scaleMs * (0.5 - s.tail * Math.log(1 - u));
    case 'two modes': {
      // Nine in ten requests hit a cache; the rest go to the database and take `tail` times longer.
      const below = (x: number) => 0.9 * (1 - Math.exp(-x)) + 0.1 * (1 - Math.exp(-x / s.tail));
      let [low, high] = [0, 100 * s.tail];
      for (let i = 0; i < 60; i++) {
        const mid = (low + high) / 2;
        if (below(mid) < u) low = mid;
        else high = mid;
      }
      return s.scaleMs * low;
    }
  }
}

/** How many of `requests` fail at `rate`: the gaps between failures are geometric, so skip over them. */
function failures(next: () => number, requests: number, rate: number): number {
  if (rate <= 0) return 0;
  let failed = 0;
  for (let at = 0; ; failed++) {
    at += 1 + Math.floor(Math.log1p(-next()) / Math.log1p(-rate));
    if (at > requests) return failed;
  }
}

/**
 * One side's window: `requests` simulated requests, counted and measured as the load balancer does. The p95
 * of n requests is their k-th fastest (k = ⌈0.95·n⌉), which is the quantile function at the k-th smallest
 * of n uniform draws, and that is Beta(k, n + 1 − k) distributed: one draw instead of n and a sort.
 */
function window(
  next: () => number,
  s: Scenario,
  requests: number,
  errorRate: number,
  slower: number,
): TrafficSample {
  const errors = failures(next, requests, errorRate);
  const k = Math.ceil(0.95 * requests);
  const faster = gamma(next, k);
  const kth = faster / (faster + gamma(next, requests + 1 - k));
  return { requests, errors, p95Ms: slower * quantile(s, kth) };
}

function outcomes(
  all: Scenario[],
  green: { errorRate?: number; slower?: number },
): { outcome: StepOutcome; scenario: Scenario }[] {
  return all.map((s) => {
    const next = random(s.dataSeed);
    const blue = window(next, s, MIN * s.load, s.blueErrorRate, 1);
    const candidate = window(next, s, MIN, green.errorRate ?? s.blueErrorRate, green.slower ?? 1);
    const greenPercent = Math.round(100 / (1 + s.load));
    return {
      outcome: judgeStep({ blue, green: candidate, greenPercent, windowMs: 600_000 }).outcome,
      scenario: s,
    };
  });
}

const measured: string[] = [];
afterAll(() => process.stdout.write(`traffic judgement, ${RUNS} windows each: ${measured.join('; ')}\n`));

/** The share of windows with this outcome, noted for the line printed after the tests. */
function share(label: string, results: { outcome: StepOutcome }[], outcome: StepOutcome): number {
  const rate = results.filter((r) => r.outcome === outcome).length / results.length;
  measured.push(`${label} ${outcome} ${(rate * 100).toFixed(1)}%`);
  return rate;
}

describe('judgeStep over simulated windows at the minimum sample size', () => {
  it('rolls back at most 1% of windows where green is drawn like blue (any error rate up to 10%)', () => {
    // Act
    const results = outcomes(scenarios(fc.double({ min: 0, max: 0.1, noNaN: true })), {});

    // Assess
    expect(share('green like blue:', results, 'fail')).toBeLessThanOrEqual(0.01);
    expect(share('green like blue:', results, 'inconclusive')).toBe(0);
  });

  it('catches at least 99% of greens at twice blue latency', () => {
    // Act
    const results = outcomes(scenarios(fc.double({ min: 0, max: 0.01, noNaN: true })), { slower: 2 });

    // Assess
    expect(share('green at 2× latency:', results, 'fail')).toBeGreaterThanOrEqual(0.99);
  });

  it('catches at least 99% of greens at 8% errors against a healthy blue (up to 1%)', () => {
    // Act
    const results = outcomes(scenarios(fc.double({ min: 0, max: 0.01, noNaN: true })), { errorRate: 0.08 });

    // Assess
    expect(share('green at 8% errors:', results, 'fail')).toBeGreaterThanOrEqual(0.99);
  });
});
