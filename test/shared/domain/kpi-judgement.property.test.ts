import fc from 'fast-check';
import { usePropertySeed } from '../../helpers/property-seed';
import { HANG_LIMIT_MS } from '../../helpers/hang-limit';
import { normal, random } from '../../support/simulated-draws';
import { judgeKpi, kpiEventsNeeded, type KpiThreshold } from '../../../shared/domain/kpi-judgement';
import { JUDGEMENT_Z } from '../../../shared/domain/traffic-statistics';

jest.setTimeout(HANG_LIMIT_MS);

const seed = usePropertySeed();

/**
 * The KPI judgement's promise, measured: windows of simulated checkouts at the minimum sample (the fewest
 * green requests at which blue's and green's expected events make a drop of `maxDrop` decidable), with
 * blue at 1×, 3× or 19× green's traffic (a 50%, 25% or 5% step). A KPI is a count per request (Poisson
 * events, up to 3 a request) or a success share per request (0/1 samples, binomial). With green drawn like
 * blue at most 1% of windows may fail; with green 20% lower at least 99% must. Each scenario carries its
 * own data seed, so a failure replays.
 */
const RUNS = 1_000;

interface Scenario {
  dataSeed: number;
  kind: 'count' | 'share';
  /** Blue's KPI per request: events per request (count) or the success share (share). */
  rate: number;
  maxDrop: number;
  load: 1 | 3 | 19;
}

function scenarios(): Scenario[] {
  const scenario = fc
    .record({
      dataSeed: fc.integer(),
      kind: fc.constantFrom<'count' | 'share'>('count', 'share'),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      maxDrop: fc.constantFrom(0.1, 0.15, 0.2),
      load: fc.constantFrom<1 | 3 | 19>(1, 3, 19),
    })
    .map(({ at, ...s }) => ({ ...s, rate: s.kind === 'count' ? 0.05 + at * 2.95 : 0.3 + at * 0.69 }));
  return fc.sample(scenario, { seed, numRuns: RUNS });
}

/** Events over `requests`: Poisson (count) or binomial (share); the normal approximation when large. */
function events(next: () => number, kind: Scenario['kind'], requests: number, rate: number): number {
  const mean = requests * rate;
  const variance = kind === 'count' ? mean : mean * (1 - rate);
  if (variance > 100) return Math.max(0, Math.round(mean + Math.sqrt(variance) * normal(next)));
  let drawn = 0;
  if (kind === 'share') {
    for (let i = 0; i < requests; i++) if (next() < rate) drawn++;
    return drawn;
  }
  // Poisson by its arrivals: count exponential gaps until the total passes the mean.
  for (let t = -Math.log(1 - next()); t < mean; t -= Math.log(1 - next())) drawn++;
  return drawn;
}

/** The fewest green requests at which the expected events make a drop of `maxDrop` decidable. */
function minimumRequests(s: Scenario): number {
  const allowed = -Math.log(1 - s.maxDrop) / (2 * JUDGEMENT_Z);
  return Math.ceil((1 + 1 / s.load) / (s.rate * allowed * allowed));
}

function outcomeOf(s: Scenario, greenFactor: number, sample = 1): string {
  const next = random(s.dataSeed);
  const green = Math.ceil(minimumRequests(s) * sample);
  const blue = green * s.load;
  const kpi: KpiThreshold = {
    name: 'checkout-success',
    namespace: 'Orders',
    metricName: 'CheckoutSucceeded',
    statistic: s.kind === 'count' ? 'Sum' : 'Average',
    per: s.kind === 'count' ? 'requests' : 'none',
    dimensions: {},
    revisionDimension: 'Version',
    maxDrop: s.maxDrop,
  };
  const blueEvents = events(next, s.kind, blue, s.rate);
  const greenEvents = events(next, s.kind, green, s.rate * greenFactor);
  const side = (n: number, x: number) =>
    s.kind === 'count' ? { value: x, samples: x } : { value: x / n, samples: n };
  return judgeKpi(
    kpi,
    { name: kpi.name, blue: side(blue, blueEvents), green: side(green, greenEvents) },
    { blue, green },
  ).outcome;
}

describe('judgeKpi at the minimum sample (property)', () => {
  const cases = scenarios();

  it('with green drawn like blue, fails fewer than 1% of windows', () => {
    // Act
    const failed = cases.filter((s) => outcomeOf(s, 1) === 'fail');

    // Assess
    expect(failed.length / cases.length).toBeLessThan(0.01);
  });

  it('with green 20% lower and maxDrop 0.1, fails at least 99% of windows', () => {
    // Act
    const outcomes = cases.map((s) => outcomeOf({ ...s, maxDrop: 0.1 }, 0.8));

    // Assess
    expect(outcomes.filter((o) => o === 'fail').length / cases.length).toBeGreaterThanOrEqual(0.99);
  });

  it('with green as low as the threshold, passes none: at the minimum sample it extends, at twice that it fails', () => {
    // Act: a green exactly maxDrop below blue has fewer events than the minimum sample planned for
    const atMinimum = cases.map((s) => outcomeOf(s, 1 - s.maxDrop));
    const atTwice = cases.map((s) => outcomeOf(s, 1 - s.maxDrop, 2));

    // Assess
    expect(atMinimum.filter((o) => o === 'pass').length / cases.length).toBeLessThan(0.01);
    expect(atTwice.filter((o) => o === 'fail').length / cases.length).toBeGreaterThanOrEqual(0.99);
  });

  it('asks for the events the minimum sample gives', () => {
    // The scenarios' minimum sample is the judgement's own: blue's expected events need this many of green's.
    for (const s of cases.slice(0, 50)) {
      const green = minimumRequests(s);
      const needed = kpiEventsNeeded({ events: green * s.load * s.rate }, s.maxDrop);
      expect(Math.abs(needed - green * s.rate)).toBeLessThanOrEqual(Math.max(2, 0.01 * needed));
    }
  });
});
