/**
 * Prints which AWS adapters the moto contract tests (test/aws-conformance/*.moto.test.ts) checked and with
 * which SDK operations, from the files those tests wrote under test-output/aws-contracts/. Run by
 * scripts/test.sh after jest.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_CONTRACT_SUMMARY_DIR } from '../test/support/moto-server';

const files = existsSync(AWS_CONTRACT_SUMMARY_DIR)
  ? readdirSync(AWS_CONTRACT_SUMMARY_DIR).filter((file) => file.endsWith('.json'))
  : [];
const byAdapter = new Map<string, Set<string>>();
for (const file of files) {
  const recorded = JSON.parse(readFileSync(join(AWS_CONTRACT_SUMMARY_DIR, file), 'utf8')) as Record<
    string,
    string[]
  >;
  for (const [adapter, operations] of Object.entries(recorded)) {
    const seen = byAdapter.get(adapter) ?? new Set<string>();
    for (const operation of operations) seen.add(operation);
    byAdapter.set(adapter, seen);
  }
}
if (byAdapter.size === 0) {
  console.log('moto contracts: no adapter reported (did test/aws-conformance run?)');
  process.exitCode = 1;
}
let total = 0;
for (const [adapter, operations] of [...byAdapter].sort(([a], [b]) => a.localeCompare(b))) {
  total += operations.size;
  console.log(`moto ${adapter.padEnd(32)} ${[...operations].sort().join(', ')}`);
}
console.log(
  `moto contracts: ${byAdapter.size} adapters, ${total} adapter × operation pairs checked against moto`,
);
