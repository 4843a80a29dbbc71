import fc from 'fast-check';
import { relative } from 'node:path';

/**
 * One seed for the property tests of a file, so `npm test` checks the same cases on every run and a
 * failure replays. `PROPERTY_SEED=<n>` replays a seed; `PROPERTY_SEED=fresh` draws a new one per file
 * (`npm run test:property-fresh`), to look for counterexamples the fixed seed never reaches. A
 * counterexample found that way becomes an example test beside the property.
 *
 * Call it once at the top of a property test file: it sets fast-check's global seed for that file (jest
 * gives each file its own module registry) and prints the seed once, before the file's tests.
 */
export const DEFAULT_PROPERTY_SEED = 20261129;

export function propertySeed(fixed: number = DEFAULT_PROPERTY_SEED): number {
  const asked = process.env.PROPERTY_SEED?.trim();
  if (!asked) return fixed;
  if (asked === 'fresh') return freshSeed;
  const seed = Number(asked);
  if (!Number.isSafeInteger(seed))
    throw new Error(`PROPERTY_SEED must be an integer or "fresh", got ${JSON.stringify(asked)}`);
  return seed;
}

/** Drawn once per test file, so every property of the file runs with the same fresh seed. */
const freshSeed = (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;

export function usePropertySeed(fixed: number = DEFAULT_PROPERTY_SEED): number {
  const seed = propertySeed(fixed);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
  beforeAll(() => {
    const file = relative(process.cwd(), expect.getState().testPath ?? 'a property test');
    process.stdout.write(`property tests in ${file}: seed ${seed} (replay with PROPERTY_SEED=${seed})\n`);
  });
  return seed;
}
