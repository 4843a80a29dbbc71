/**
 * Prints, for a broken canary on the local stack (a real proxy, real sample services, real requests), how
 * many requests the bad version served before traffic went back to blue, and how long that took from the
 * verdict (local wall clock): one release three times slower, one failing 8% of its requests, each walked
 * through 5 → 25 → 50 → 100 and judged by judgeStep on what the proxy measured.
 *
 *   npx tsx bench/canary-reaction.ts [--min-requests <n>] [--concurrency <n>] [--work-ms <ms>]
 *
 * The default minimum of 800 requests a side at a 5% step means 16,000 requests in the window; a smaller
 * --min-requests makes the run shorter on a slow machine (the judgement stays inconclusive below what its
 * statistics need, so a smaller minimum never makes it guess). On a busy machine the proxy's own queueing,
 * which both versions share, dilutes a slowdown: a longer --work-ms (the sample service's median request
 * time, 20 ms) and fewer clients keep it visible.
 */
import { parseArgs } from 'node:util';
import { measureCanaryReaction, type CanaryReaction } from '../local-runtime/traffic/canary-reaction';
import { DEFAULT_JUDGEMENT_THRESHOLDS } from '../shared/domain/traffic-judgement';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const { values } = parseArgs({
  options: {
    'min-requests': { type: 'string' },
    concurrency: { type: 'string' },
    'work-ms': { type: 'string' },
  },
});
const minRequests = Number(values['min-requests'] ?? DEFAULT_JUDGEMENT_THRESHOLDS.minRequests);
const concurrency = Number(values.concurrency ?? 16);
const workMs = values['work-ms'] === undefined ? undefined : Number(values['work-ms']);
if (
  !Number.isInteger(minRequests) ||
  minRequests < 1 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  (workMs !== undefined && !(workMs > 0))
) {
  console.error(
    'canary-reaction: --min-requests and --concurrency take whole numbers from 1, --work-ms a positive number',
  );
  process.exit(2);
}

function report(name: string, run: CanaryReaction): string {
  const stopped = run.stopped;
  const lines = [
    `${name}:`,
    ...run.steps.map((s) => `  ${String(s.greenPercent).padStart(3)}%  ${s.outcome.padEnd(12)} ${s.reason}`),
  ];
  if (!stopped) return [...lines, '  not caught: every step passed'].join('\n');
  return [
    ...lines,
    `  bad version served ${run.green.requests} requests (${run.green.errors} of them 5xx) before the switch back`,
    `  verdict → 0% green acknowledged: ${run.verdictToSwitchMs!.toFixed(1)} ms; ` +
      `verdict → 100% on blue (green's last request answered): ${run.verdictToAllBlueMs!.toFixed(1)} ms`,
    `  requests sent: ${run.sent}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const thresholds = { ...DEFAULT_JUDGEMENT_THRESHOLDS, minRequests };
  for (const [name, green] of [
    ['latency:3x', { latencyFactor: 3 }],
    ['errors:8%', { errorRate: 0.08 }],
  ] as const) {
    const run = await measureCanaryReaction({
      green,
      thresholds,
      concurrency,
      maxStepMs: 10 * 60_000,
      ...(workMs !== undefined && { workMs }),
    });
    console.log(report(name, run));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
