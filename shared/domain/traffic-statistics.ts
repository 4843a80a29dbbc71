/**
 * The statistics behind a traffic step's verdict, kept apart from the wording: a one-sided test that one
 * error rate is above another, an upper confidence bound on an error rate, and how far a p95 measured on a
 * sample can stray from the true one. Plain functions over counts, so the judgement can show its
 * arithmetic in tests.
 */

/**
 * One-sided z for the judgement's tests: 3.09 is a 0.1% chance of calling noise a regression per test, and,
 * at the minimum sample size, a 0.1% chance of missing the regression the thresholds name.
 */
export const JUDGEMENT_Z = 3.09;

/**
 * How much a p95 read from `n` requests strays from the true one: its log has a standard deviation of about
 * `P95_SPREAD / √n`. The value is a log-normal latency distribution's with σ = 1 (a p95 about five times
 * the median), a heavier tail than most web services show, so the estimate errs towards more data.
 * For a quantile q read from n samples, sd ≈ √(q(1−q)/n) / f(x_q); for a log-normal that is, in log
 * terms, σ·√(q(1−q)) / φ(z_q) / √n = 2.11·σ / √n at q = 0.95.
 */
export const P95_SPREAD = 2.11;

/**
 * z of the difference between two error rates (pooled two-proportion test): large and positive when the
 * first is above the second by more than chance explains. 0 when neither side has an error.
 */
export function errorRateExcessZ(
  worse: { requests: number; errors: number },
  baseline: { requests: number; errors: number },
): number {
  if (worse.requests === 0 || baseline.requests === 0) return 0;
  const pooled = (worse.errors + baseline.errors) / (worse.requests + baseline.requests);
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / worse.requests + 1 / baseline.requests));
  if (spread === 0) return 0;
  return (worse.errors / worse.requests - baseline.errors / baseline.requests) / spread;
}

/**
 * The Wilson score upper bound of an error rate, at `z`: the highest rate the counts do not rule out. It
 * stays sensible at 0 errors and at few requests, where the normal approximation does not.
 */
export function errorRateUpperBound(sample: { requests: number; errors: number }, z = JUDGEMENT_Z): number {
  const n = sample.requests;
  if (n === 0) return 1;
  const p = sample.errors / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + margin) / (1 + z2 / n));
}

/** The standard deviation of log(green p95 / blue p95) when both come from samples of these sizes. */
export function p95RatioLogSpread(greenRequests: number, blueRequests: number): number {
  return P95_SPREAD * Math.sqrt(1 / greenRequests + 1 / blueRequests);
}

/**
 * Whether a comparison of two samples can tell an effect of `logEffect` (the log of the ratio to catch, as
 * a positive number) from none, when log(green / blue) strays by `logSpread`: the fail line must sit at
 * least JUDGEMENT_Z spreads from a ratio of 1, and JUDGEMENT_Z spreads from the effect. The p95's test
 * (effect log(maxRatio)) and the KPIs' (effect −log(1 − maxDrop)) both ask this.
 */
export function logRatioDecidable(logSpread: number, logEffect: number): boolean {
  return 2 * JUDGEMENT_Z * logSpread <= logEffect;
}

/**
 * The fewest green samples that make {@link logRatioDecidable} true when blue has `blueSamples`, where each
 * side's log strays by `spreadScale / √samples` (P95_SPREAD for a p95 over requests, 1 for Poisson
 * events). Infinity when blue alone is too few.
 */
export function logRatioSamplesNeeded(blueSamples: number, logEffect: number, spreadScale: number): number {
  const allowed = logEffect / (2 * JUDGEMENT_Z * spreadScale);
  const left = allowed * allowed - 1 / blueSamples;
  return left <= 0 ? Number.POSITIVE_INFINITY : Math.ceil(1 / left);
}

/**
 * The ratio above which green's p95 fails: `maxRatio`, lowered by JUDGEMENT_Z spreads, so that a green truly
 * at `maxRatio`× fails with 99.9% certainty. It rises towards `maxRatio` as the samples grow.
 */
export function p95FailRatio(logSpread: number, maxRatio: number): number {
  return maxRatio * Math.exp(-JUDGEMENT_Z * logSpread);
}

/**
 * The fewest green requests that make the p95 comparison decidable when blue served `blueRequests`
 * (Infinity when blue alone is too few).
 */
export function p95RequestsNeeded(blueRequests: number, maxRatio: number): number {
  return logRatioSamplesNeeded(blueRequests, Math.log(maxRatio), P95_SPREAD);
}
