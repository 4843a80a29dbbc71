/**
 * The verdict on one step of a traffic shift: green (the candidate) against blue (the live baseline) over
 * the same window. Too little traffic is neither a pass nor a failure: the step is inconclusive and the
 * caller extends it, so a quiet hour cannot roll a good version back, and missing data cannot pass a bad
 * one.
 */
import { formatSpan } from './bake-breach';

/** One version's traffic over a window, as the load balancer measured it. */
export interface TrafficSample {
  requests: number;
  /** Responses with a 5xx status from the version's targets. */
  errors: number;
  /** The 95th percentile of response time, ms; absent when nothing was measured. */
  p95Ms?: number;
}

export interface JudgementThresholds {
  /** Green fails above this share of 5xx responses (0.05 is 5%) when it is also worse than blue. */
  maxErrorRate: number;
  /** Green fails when its p95 exceeds this multiple of blue's. */
  maxP95Ratio: number;
  /** Fewer requests than this, on either side, and the window says nothing. */
  minRequests: number;
}

/** The design documents' rollback triggers: error rate above 5%, p95 above twice the baseline. */
export const DEFAULT_JUDGEMENT_THRESHOLDS: JudgementThresholds = {
  maxErrorRate: 0.05,
  maxP95Ratio: 2,
  minRequests: 100,
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
}

export interface StepMeasurement {
  blue: TrafficSample;
  green: TrafficSample;
  greenPercent: number;
  windowMs: number;
}

const count = new Intl.NumberFormat('en-US');

function errorRate(sample: TrafficSample): number {
  return sample.requests === 0 ? 0 : sample.errors / sample.requests;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

export function judgeStep(
  measured: StepMeasurement,
  thresholds: JudgementThresholds = DEFAULT_JUDGEMENT_THRESHOLDS,
): StepVerdict {
  const { blue, green, greenPercent, windowMs } = measured;
  const where = `at ${greenPercent}% after ${formatSpan(windowMs)}, ${count.format(green.requests)} requests`;
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
      `too little traffic to judge: ${side} served ${count.format(fewest)} requests, ${count.format(thresholds.minRequests)} needed (${where})`,
    );
  }

  const greenErrors = errorRate(green);
  const blueErrors = errorRate(blue);
  if (greenErrors > thresholds.maxErrorRate && greenErrors > blueErrors) {
    return verdict('fail', `errors ${percent(greenErrors)} vs baseline ${percent(blueErrors)} ${where}`);
  }

  if (green.p95Ms === undefined || blue.p95Ms === undefined) {
    return verdict(
      'inconclusive',
      `no latency measured for ${green.p95Ms === undefined ? 'green' : 'blue'} (${where})`,
    );
  }
  const ratio = blue.p95Ms > 0 ? green.p95Ms / blue.p95Ms : Number.POSITIVE_INFINITY;
  if (ratio > thresholds.maxP95Ratio) {
    return verdict(
      'fail',
      `p95 ${Math.round(green.p95Ms)} ms vs baseline ${Math.round(blue.p95Ms)} ms (${ratio.toFixed(1)}×) ${where}`,
    );
  }
  return verdict(
    'pass',
    `errors ${percent(greenErrors)} vs ${percent(blueErrors)}, p95 ${Math.round(green.p95Ms)} ms vs ${Math.round(blue.p95Ms)} ms ${where}`,
  );
}
