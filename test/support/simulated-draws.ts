/**
 * Draws for the property tests that simulate traffic (the judgements' promises, measured): a seedable
 * uniform source, so that a scenario's data seed replays it, and a standard normal draw from it.
 */
import { SeededRandom } from '../../local-runtime/seeded-random';

/** Uniform floats in [0, 1), the same sequence for the same seed on every machine (mulberry32). */
export function random(seed: number): () => number {
  const source = new SeededRandom(seed);
  return () => source.next();
}

/** A standard normal draw (Box-Muller) from the uniform source `next`. */
export function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
