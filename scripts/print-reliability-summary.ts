/**
 * Prints what the reliability suite (test/reliability/) threw and what held, from the files its tests wrote
 * under test-output/reliability/. Run by scripts/test.sh after jest.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELIABILITY_SUMMARY_DIR } from '../test/reliability/summary';

interface ScenarioSummary {
  scenario: string;
  threw: Record<string, number | string>;
  held: Record<string, number | string>;
}

function describe(counts: Record<string, number | string>): string {
  return Object.entries(counts)
    .map(([what, count]) => `${what}: ${count}`)
    .join(', ');
}

const files = existsSync(RELIABILITY_SUMMARY_DIR)
  ? readdirSync(RELIABILITY_SUMMARY_DIR).filter((file) => file.endsWith('.json'))
  : [];
if (files.length === 0) {
  console.log('reliability: no scenario reported (did test/reliability run?)');
  process.exitCode = 1;
}
for (const file of files.sort()) {
  const summary = JSON.parse(readFileSync(join(RELIABILITY_SUMMARY_DIR, file), 'utf8')) as ScenarioSummary;
  console.log(`reliability ${summary.scenario}`);
  console.log(`  threw  ${describe(summary.threw)}`);
  console.log(`  held   ${describe(summary.held)}`);
}
