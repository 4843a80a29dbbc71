/**
 * Business KPIs in a traffic step's verdict: CloudWatch metrics of the service's own (checkouts that
 * succeeded, sign-ups), measured for green and for blue over the same window, each side selected by a
 * dimension the service emits with the version it runs. Green fails when its KPI is below blue's by more
 * than `maxDrop` beyond what the samples' noise explains; with too few events to tell a drop of `maxDrop`
 * from none the step is inconclusive (it extends), never a pass.
 *
 * The noise model: the KPI's value is read from a number of events (checkouts that succeeded: a `Sum` or
 * `SampleCount` per request, or an `Average` of 0/1 samples times its SampleCount), taken as Poisson: the
 * log of a rate read from x events strays by about 1/√x. For a share (at most one event per request or
 * sample) that is cautious, as a binomial's spread is √(1−p) times smaller, and it stays so when green
 * drops; a count with bursts (items per order) is noisier than Poisson and is not what it is for.
 * The lines mirror the p95's: fail when clearly below (1 − maxDrop)× blue's; inconclusive when the samples
 * cannot yet tell (1 − maxDrop)× from 1×; otherwise fail below (1 − maxDrop)× lifted by the noise, so a
 * green truly at the threshold fails with 99.9% certainty and a green like blue passes with it.
 */
import { JUDGEMENT_Z, logRatioDecidable, logRatioSamplesNeeded } from './traffic-statistics';
import { formatCount } from './count-text';

export const KPI_STATISTICS = ['Sum', 'SampleCount', 'Average'] as const;
export type KpiStatistic = (typeof KPI_STATISTICS)[number];

/** One KPI the judgement compares, as the config gives it (traffic-shift.schema.ts, `judgement.kpis`). */
export interface KpiThreshold {
  /** What people read in the cause, e.g. `checkout-success`. */
  name: string;
  namespace: string;
  metricName: string;
  statistic: KpiStatistic;
  /**
   * `requests`: the statistic over the side's requests (counts); `none`: the statistic itself (shares).
   * Default {@link kpiPer}: per request for a Sum or SampleCount, none for an Average.
   */
  per?: 'requests' | 'none';
  /** Dimensions both sides share (e.g. Service); the revision dimension is added per side. */
  dimensions: Record<string, string>;
  /** The dimension whose value is the version each side runs (the service emits PIPELINE_VERSION in it). */
  revisionDimension: string;
  /** The drop to catch, a share of blue's value: 0.1 fails green at 10% below blue (beyond the noise). */
  maxDrop: number;
}

/** How a KPI is compared: as written, else a count per request and an Average as it is. */
export function kpiPer(kpi: Pick<KpiThreshold, 'per' | 'statistic'>): 'requests' | 'none' {
  return kpi.per ?? (kpi.statistic === 'Average' ? 'none' : 'requests');
}

/** One side's KPI over a window; absent when CloudWatch has no datapoint. */
export interface KpiSideSample {
  /** The statistic over the window (a sum, a count, or an average). */
  value: number;
  /** How many samples the statistic is of (SampleCount); needed for an average. */
  samples: number;
}

/** A KPI as measured for one window: both sides, or why it could not be measured for this deployment. */
export interface KpiMeasurement {
  name: string;
  blue?: KpiSideSample;
  green?: KpiSideSample;
  /** Set when blue and green cannot be told apart (same version, or blue's version unknown). */
  notJudged?: string;
}

export interface KpiVerdict {
  name: string;
  outcome: 'pass' | 'fail' | 'inconclusive' | 'not-judged';
  /** One phrase for the step's reason, e.g. `checkout-success 0.81 per request vs baseline 0.97 (−16%)`. */
  reason: string;
  blue?: number;
  green?: number;
}

export interface Side {
  /** The KPI's value: per request, or the statistic itself. */
  value: number;
  /** The events (or successes) the value was read from. */
  events: number;
  /** How many requests or samples: the denominator. */
  of: number;
}

function sideOf(kpi: KpiThreshold, sample: KpiSideSample | undefined, requests: number): Side | undefined {
  if (kpiPer(kpi) === 'requests') {
    const events = sample?.value ?? 0; // CloudWatch publishes nothing for a minute without events
    return { value: requests > 0 ? events / requests : 0, events, of: requests };
  }
  if (!sample || sample.samples <= 0) return undefined;
  return { value: sample.value, events: sample.value * sample.samples, of: sample.samples };
}

/**
 * A side's events as the noise model counts them: +0.5, so that a side with no event has a spread, not a
 * division by zero.
 */
function counted(side: Pick<Side, 'events'>): number {
  return side.events + 0.5;
}

/** The standard deviation of log(green / blue): Poisson on each side's events. */
export function kpiLogSpread(green: Pick<Side, 'events'>, blue: Pick<Side, 'events'>): number {
  return Math.sqrt(1 / counted(green) + 1 / counted(blue));
}

/** The log of the ratio a drop of `maxDrop` is, as a positive number: what the comparison must tell. */
export function kpiLogEffect(maxDrop: number): number {
  return -Math.log(1 - maxDrop);
}

/** The fewest green events that make the comparison decidable, given blue's (Infinity when blue is too few). */
export function kpiEventsNeeded(blue: Pick<Side, 'events'>, maxDrop: number): number {
  return logRatioSamplesNeeded(counted(blue), kpiLogEffect(maxDrop), 1);
}

function number(value: number): string {
  if (value === 0) return '0';
  return Math.abs(value) >= 100 ? formatCount(Math.round(value)) : String(Number(value.toPrecision(2)));
}

function change(ratio: number): string {
  if (!Number.isFinite(ratio)) return '';
  const pct = Math.round((ratio - 1) * 100);
  return ` (${pct < 0 ? '−' : pct > 0 ? '+' : '±'}${Math.abs(pct)}%)`;
}

/**
 * Judges one KPI over a window, green against blue; `requests` are each side's requests in the window
 * (for a KPI per request).
 */
export function judgeKpi(
  kpi: KpiThreshold,
  measured: KpiMeasurement,
  requests: { blue: number; green: number },
): KpiVerdict {
  const { name } = kpi;
  if (measured.notJudged)
    return { name, outcome: 'not-judged', reason: `${name} not judged: ${measured.notJudged}` };
  const green = sideOf(kpi, measured.green, requests.green);
  const blue = sideOf(kpi, measured.blue, requests.blue);
  if (!green || !blue)
    return {
      name,
      outcome: 'inconclusive',
      reason: `${name}: no ${kpi.metricName} datapoints for ${green ? 'blue' : 'green'} (its ${kpi.revisionDimension} dimension)`,
    };
  const per = kpiPer(kpi) === 'requests' ? ' per request' : '';
  const ratio = blue.value > 0 ? green.value / blue.value : green.value > 0 ? Number.POSITIVE_INFINITY : 1;
  const numbers = `${name} ${number(green.value)}${per} vs baseline ${number(blue.value)}${change(ratio)}`;
  const values = { blue: blue.value, green: green.value };
  if (
    kpiPer(kpi) === 'none' &&
    kpi.statistic === 'Average' &&
    (green.value > 1 || blue.value > 1 || green.value < 0)
  )
    return {
      name,
      outcome: 'inconclusive',
      reason: `${numbers}: an Average KPI is judged as a share of 0/1 samples, and this is not one; report 1 or 0 per attempt, or use Sum per requests`,
      ...values,
    };

  const logRatio = Math.log(ratio);
  const line = Math.log(1 - kpi.maxDrop);
  const spread = kpiLogSpread(green, blue);
  if (logRatio < line - JUDGEMENT_Z * spread) return { name, outcome: 'fail', reason: numbers, ...values };
  if (!logRatioDecidable(spread, kpiLogEffect(kpi.maxDrop))) {
    const needed = kpiEventsNeeded(blue, kpi.maxDrop);
    const more = Number.isFinite(needed)
      ? `about ${formatCount(needed)} green events`
      : `more events on both sides`;
    return {
      name,
      outcome: 'inconclusive',
      reason: `${numbers} cannot yet be told from noise: telling a ${Math.round(kpi.maxDrop * 100)}% drop needs ${more}`,
      ...values,
    };
  }
  if (logRatio < line + JUDGEMENT_Z * spread) return { name, outcome: 'fail', reason: numbers, ...values };
  return { name, outcome: 'pass', reason: numbers, ...values };
}
