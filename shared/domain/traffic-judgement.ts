/**
 * The verdict on one step of a traffic shift: green (the candidate) against blue (the live baseline) over
 * the same window. Too little traffic is neither a pass nor a failure: the step is inconclusive and the
 * caller extends it, so a quiet hour cannot roll a good version back, and missing data cannot pass a bad
 * one.
 *
 * The thresholds name the regressions to catch (errors above 5%, a p95 twice blue's); the verdict allows
 * for the noise of a sample, so that at the minimum sample size a green like blue is rolled back in fewer
 * than 1 in 500 steps and a green at those thresholds is caught in more than 99 in 100
 * (test/shared/domain/traffic-judgement.property.test.ts measures both):
 * - errors fail when green's rate is above blue's by more than chance explains (a one-sided two-proportion
 *   test) and the counts do not rule out a rate above `maxErrorRate` (its upper confidence bound);
 * - the p95 fails when green's is above `maxP95Ratio`× blue's less what sampling can explain, or above it
 *   by more; with too few requests to tell `maxP95Ratio`× from 1× the step is inconclusive.
 */
import { formatSpan } from './bake-breach';
import { judgeKpi, type KpiMeasurement, type KpiThreshold, type KpiVerdict } from './kpi-judgement';
import {
  errorRateExcessZ,
  errorRateUpperBound,
  JUDGEMENT_Z,
  logRatioDecidable,
  p95FailRatio,
  p95RatioLogSpread,
  p95RequestsNeeded,
} from './traffic-statistics';
import { formatCount } from './count-text';

/** One version's traffic over a window, as the load balancer measured it. */
export interface TrafficSample {
  requests: number;
  /** Responses with a 5xx status from the version's targets. */
  errors: number;
  /** The 95th percentile of response time, ms; absent when nothing was measured. */
  p95Ms?: number;
}

export interface JudgementThresholds {
  /**
   * The error rate to catch (0.05 is 5%): green fails when it is worse than blue beyond chance and its
   * rate may be above this.
   */
  maxErrorRate: number;
  /** The p95 regression to catch, as a multiple of blue's p95 (allowing for the samples' noise). */
  maxP95Ratio: number;
  /** Fewer requests than this, on either side, and the window says nothing. */
  minRequests: number;
  /** The service's own metrics green must not drop below blue's (kpi-judgement.ts); none by default. */
  kpis?: KpiThreshold[];
}

/**
 * The design documents' rollback triggers: error rate above 5%, p95 above twice the baseline. 800 requests
 * is the fewest at which both tests keep their promise with green and blue equally loaded (a 50% step):
 * an 8% error rate against a healthy blue, and a p95 twice blue's from a long-tailed distribution, are then
 * caught in more than 99.9% of windows.
 */
export const DEFAULT_JUDGEMENT_THRESHOLDS: JudgementThresholds = {
  maxErrorRate: 0.05,
  maxP95Ratio: 2,
  minRequests: 800,
};

export type StepOutcome = 'pass' | 'fail' | 'inconclusive';

export interface StepVerdict {
  outcome: StepOutcome;
  /** One line a person reads in the stage's cause, the approval emails and the dashboard. */
  reason: string;
  /** The share of production traffic green had during the window, percent. */
  greenPercent: number;
  windowMs: number;
  blue: TrafficSample;
  green: TrafficSample;
  /** Each configured KPI's verdict, when the thresholds name any and the traffic was enough to judge. */
  kpis?: KpiVerdict[];
}

export interface StepMeasurement {
  blue: TrafficSample;
  green: TrafficSample;
  greenPercent: number;
  windowMs: number;
  /** The configured KPIs over the same window; a KPI missing here is not measured, so never passes. */
  kpis?: KpiMeasurement[];
}

function errorRate(sample: TrafficSample): number {
  return sample.requests === 0 ? 0 : sample.errors / sample.requests;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function ms(value: number): string {
  return value >= 10 ? `${Math.round(value)} ms` : `${Number(value.toPrecision(2))} ms`;
}

/** green p95 / blue p95; a blue at 0 ms (nothing slower than the clock's tick) compares as 1 ms' worth. */
function p95Ratio(green: number, blue: number): number {
  if (green <= 0) return blue <= 0 ? 1 : 0;
  return blue > 0 ? green / blue : Number.POSITIVE_INFINITY;
}

/**
 * Judges one step: green against blue over the same window, on errors and latency
 * ({@link judgeTraffic}), then on the configured business KPIs.
 * 1. Too few requests, or errors or latency fail: that verdict stands (KPIs are not read into it).
 * 2. A KPI that fails fails the step, naming it with its numbers; a KPI that cannot yet be told from noise
 *    or was not measured makes an otherwise passing step inconclusive (it extends), never a pass.
 * 3. A KPI that cannot tell blue from green at all (both run the same version) is named as not judged.
 */
export function judgeStep(
  measured: StepMeasurement,
  thresholds: JudgementThresholds = DEFAULT_JUDGEMENT_THRESHOLDS,
): StepVerdict {
  const traffic = judgeTraffic(measured, thresholds);
  const kpis = thresholds.kpis ?? [];
  const tooLittle = Math.min(measured.blue.requests, measured.green.requests) < thresholds.minRequests;
  if (kpis.length === 0 || traffic.outcome === 'fail' || tooLittle) return traffic;
  const requests = { blue: measured.blue.requests, green: measured.green.requests };
  const verdicts = kpis.map((kpi) =>
    judgeKpi(kpi, measured.kpis?.find((m) => m.name === kpi.name) ?? { name: kpi.name }, requests),
  );
  const where = `at ${measured.greenPercent}% after ${formatSpan(measured.windowMs)}, ${formatCount(measured.green.requests)} requests`;
  const failed = verdicts.find((v) => v.outcome === 'fail');
  if (failed) return { ...traffic, outcome: 'fail', reason: `${failed.reason} ${where}`, kpis: verdicts };
  if (traffic.outcome === 'inconclusive') return { ...traffic, kpis: verdicts };
  const open = verdicts.find((v) => v.outcome === 'inconclusive');
  if (open)
    return { ...traffic, outcome: 'inconclusive', reason: `${open.reason} (${where})`, kpis: verdicts };
  // The pass's reason ends with "at 5% after …": the KPIs go before that.
  const kpiText = verdicts.map((v) => v.reason).join(', ');
  const at = traffic.reason.lastIndexOf(' at ');
  const reason = `${traffic.reason.slice(0, at)}, ${kpiText}${traffic.reason.slice(at)}`;
  return { ...traffic, reason, kpis: verdicts };
}

/**
 * Judges one step on errors and latency: green against blue over the same window.
 * 1. Too few requests on either side: inconclusive (the caller extends the step, within its bound).
 * 2. Errors: fail when green's rate is beyond chance above blue's and may be above the threshold.
 * 3. No latency measured on a side: inconclusive (missing data never passes).
 * 4. p95: fail when clearly above the threshold; inconclusive when the samples cannot tell; fail when
 *    above the threshold less the noise; otherwise pass.
 */
export function judgeTraffic(
  measured: StepMeasurement,
  thresholds: JudgementThresholds = DEFAULT_JUDGEMENT_THRESHOLDS,
): StepVerdict {
  const { blue, green, greenPercent, windowMs } = measured;
  const where = `at ${greenPercent}% after ${formatSpan(windowMs)}, ${formatCount(green.requests)} requests`;
  const verdict = (outcome: StepOutcome, reason: string): StepVerdict => ({
    outcome,
    reason,
    greenPercent,
    windowMs,
    blue,
    green,
  });

  const fewest = Math.min(blue.requests, green.requests);
  if (fewest < thresholds.minRequests) {
    const side = green.requests <= blue.requests ? 'green' : 'blue';
    return verdict(
      'inconclusive',
      `too little traffic to judge: ${side} served ${formatCount(fewest)} requests, ${formatCount(thresholds.minRequests)} needed (${where})`,
    );
  }

  const greenErrors = errorRate(green);
  const blueErrors = errorRate(blue);
  if (errorRateExcessZ(green, blue) >= JUDGEMENT_Z && errorRateUpperBound(green) > thresholds.maxErrorRate) {
    return verdict('fail', `errors ${percent(greenErrors)} vs baseline ${percent(blueErrors)} ${where}`);
  }

  if (green.p95Ms === undefined || blue.p95Ms === undefined) {
    return verdict(
      'inconclusive',
      `no latency measured for ${green.p95Ms === undefined ? 'green' : 'blue'} (${where})`,
    );
  }
  const ratio = p95Ratio(green.p95Ms, blue.p95Ms);
  const spread = p95RatioLogSpread(green.requests, blue.requests);
  const p95s = `p95 ${ms(green.p95Ms)} vs baseline ${ms(blue.p95Ms)} (${ratio.toFixed(1)}×)`;
  const clearlyAbove = ratio > thresholds.maxP95Ratio * Math.exp(JUDGEMENT_Z * spread);
  if (clearlyAbove) return verdict('fail', `${p95s} ${where}`);
  if (!logRatioDecidable(spread, Math.log(thresholds.maxP95Ratio))) {
    const needed = p95RequestsNeeded(blue.requests, thresholds.maxP95Ratio);
    const more = Number.isFinite(needed)
      ? `about ${formatCount(needed)} green requests`
      : `more requests on both sides`;
    return verdict(
      'inconclusive',
      `${p95s} cannot yet be told from noise: telling ${thresholds.maxP95Ratio}× from 1× needs ${more} (${where})`,
    );
  }
  if (ratio > p95FailRatio(spread, thresholds.maxP95Ratio)) return verdict('fail', `${p95s} ${where}`);
  return verdict(
    'pass',
    `errors ${percent(greenErrors)} vs ${percent(blueErrors)}, p95 ${ms(green.p95Ms)} vs ${ms(blue.p95Ms)} ${where}`,
  );
}
