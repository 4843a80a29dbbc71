/**
 * A latency histogram with logarithmic buckets, as load balancers and CloudWatch keep them: each bucket is
 * 1% wider than the one below, so a percentile read from it is within 1% of the exact one at any scale, in
 * constant memory per distinct bucket, and histograms of adjacent spans add up (a window is the sum of its
 * seconds).
 */

/** Bucket i holds latencies in (GROWTH^(i−1), GROWTH^i] × FLOOR_MS. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Anything faster reads as this (a microsecond): below the clock's resolution. */
const FLOOR_MS = 0.001;

export class LatencyHistogram {
  private readonly buckets = new Map<number, number>();
  private total = 0;

  get count(): number {
    return this.total;
  }

  record(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0)
      throw new RangeError(`a latency must be a finite number of ms ≥ 0, got ${latencyMs}`);
    const index = latencyMs <= FLOOR_MS ? 0 : Math.ceil(Math.log(latencyMs / FLOOR_MS) / LOG_GROWTH);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.total++;
  }

  /** The counts as plain JSON (`[bucket, count]` pairs), for a local stack that keeps its state on disk. */
  toJSON(): [bucket: number, count: number][] {
    return [...this.buckets];
  }

  /** A histogram with the counts `toJSON` gave. */
  static fromJSON(entries: readonly (readonly [number, number])[]): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [index, count] of entries) {
      if (!Number.isInteger(index) || !Number.isInteger(count) || count < 0)
        throw new RangeError(
          `a latency histogram bucket is [index, count] in whole numbers, got [${index}, ${count}]`,
        );
      histogram.buckets.set(index, (histogram.buckets.get(index) ?? 0) + count);
      histogram.total += count;
    }
    return histogram;
  }

  /** Adds another histogram's counts to this one. */
  add(other: LatencyHistogram): void {
    for (const [index, count] of other.buckets)
      this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    this.total += other.total;
  }

  /**
   * The latency at or below which a share `q` (0–1) of the recorded requests answered (nearest rank: the
   * ⌈q·n⌉-th fastest), as its bucket's upper edge; undefined when nothing was recorded.
   */
  percentile(q: number): number | undefined {
    if (!(q > 0 && q <= 1)) throw new RangeError(`a percentile is a share in (0, 1], got ${q}`);
    if (this.total === 0) return undefined;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) return FLOOR_MS * GROWTH ** index;
    }
    return undefined;
  }
}
