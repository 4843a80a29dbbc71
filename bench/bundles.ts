/**
 * Prints, per function, the minified bundle size and the median cold module-load time (a fresh Node
 * process requiring the bundle, as a Lambda cold start does before the first invocation).
 * Targets (issue #2): every bundle ≤ 250 KB, cold load ≤ 50 ms median on this machine.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { buildFunctions } from '../scripts/build-functions';

const RUNS = 11;
const SIZE_TARGET_KB = 250;
const LOAD_TARGET_MS = 50;

function coldLoadMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const env = {
    ...process.env,
    AWS_REGION: 'eu-west-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  return Number(execFileSync(process.execPath, ['-e', script], { env }).toString());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const built = await buildFunctions();
  const rows = built.map(({ name, file }) => {
    const kb = statSync(file).size / 1024;
    const ms = median(Array.from({ length: RUNS }, () => coldLoadMs(file)));
    return { name, kb, ms };
  });
  console.log(`function              bundle KB   cold load ms (median of ${RUNS})`);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(22)}${r.kb.toFixed(1).padStart(9)}   ${r.ms.toFixed(1).padStart(8)}${r.kb > SIZE_TARGET_KB || r.ms > LOAD_TARGET_MS ? '   over target' : ''}`,
    );
  const worst = { kb: Math.max(...rows.map((r) => r.kb)), ms: Math.max(...rows.map((r) => r.ms)) };
  console.log(
    `largest bundle ${worst.kb.toFixed(1)} KB (target ≤ ${SIZE_TARGET_KB}), slowest median cold load ${worst.ms.toFixed(1)} ms (target ≤ ${LOAD_TARGET_MS})`,
  );
}

void main();
