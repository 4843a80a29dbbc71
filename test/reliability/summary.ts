import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/fixtures';

/** Where reliability tests leave their counts; `scripts/print-reliability-summary.ts` prints them after jest. */
export const RELIABILITY_SUMMARY_DIR = join(REPO_ROOT, 'test-output', 'reliability');

/**
 * Records what a reliability test threw at the pipeline and what held, as counts a person can read in the CI
 * log. One file per scenario, so parallel jest workers never write the same file.
 */
export function reportReliability(
  scenario: string,
  summary: { threw: Record<string, number | string>; held: Record<string, number | string> },
): void {
  mkdirSync(RELIABILITY_SUMMARY_DIR, { recursive: true });
  writeFileSync(
    join(RELIABILITY_SUMMARY_DIR, `${scenario}.json`),
    `${JSON.stringify({ scenario, ...summary }, null, 2)}\n`,
  );
}
