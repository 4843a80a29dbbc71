/**
 * The demo's broken canary, measured: `pipeline demo`'s production canary (its config, its two releases,
 * v1.5.0 three times slower in production as `--break 5a1e7d0=latency:3x` makes it) through the real
 * state machine, the real traffic shift hook and the local stack's real proxy, on virtual time. Prints
 *
 * - the requests the bad version served before traffic went back to blue (the proxy's counts), out of all
 *   the load balancer served during its canary;
 * - the time from the hook's verdict to 100% on blue at the proxy, local wall clock, p50/max over the runs;
 * - per canary step, the state machine's transitions (states entered, from the execution's history) and
 *   the hook's reads, with every pause as the demo has it and 30 times longer: the same numbers, because the
 *   stage waits for ECS by callback and the hook is called once per window (no polling loop).
 *
 *   npx tsx bench/canary-demo.ts [--quick] [--runs <n>]
 *
 * A run plays the demo's two releases, a healthy v1.4.0 (three judged steps) then the slow v1.5.0, about
 * 20,000 real requests: --runs (default 3) times with the demo's pauses, then once with 30 times longer
 * ones. The longer run sends a thirtieth of the demo's requests a minute, so every window gets the same
 * requests and the same verdict. --quick (for `npm run bench` and scripts/test.sh) plays only the broken
 * release, on the version the stack starts with, once with each pause length: 8,000 requests a run.
 */
import '../local-runtime/local-environment';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import {
  CANARY_BEHAVIOURS,
  CANARY_RELEASES,
  canaryConfig,
  loadEvent,
  REGION,
  TRAFFIC_PER_MINUTE,
} from '../cli/demo-canary';
import { duration, table } from '../cli/format';
import { AutoAdvanceClock } from '../local-runtime/auto-advance-clock';
import { LocalPipeline } from '../local-runtime/local-pipeline';
import {
  medianAndMax,
  stepActivity,
  switchBack,
  type ObservedLoadBalancerEvent,
  type StepActivity,
  type SwitchBack,
} from '../local-runtime/traffic/shift-timeline';
import { readableCause } from '../shared/domain/failure-cause';
import type { Promotion } from '../shared/domain/promotion.schema';
import type { PipelineConfig } from '../shared/config/config.schema';
import { endQuietlyOnClosedPipe } from '../cli/process-lifecycle';

// `npx tsx bench/… | head`: a closed pipe ends the benchmark quietly, as it does the CLI.
endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code));

const CONFIG_FILE = join(__dirname, '..', 'pipeline.config.yml');
/** The longer pauses: 30 times the demo's (1 min at 5% becomes 30 min). */
const LONG_PAUSE_FACTOR = 30;

const USAGE = 'usage: npx tsx bench/canary-demo.ts [--quick] [--runs <n>]';
function parsed(): { quick: boolean; runs?: string } {
  try {
    return parseArgs({
      options: { quick: { type: 'boolean', default: false }, runs: { type: 'string' } },
    }).values;
  } catch (error) {
    console.error(`canary-demo: ${(error as Error).message}\n${USAGE}`);
    return process.exit(2);
  }
}
const values = parsed();
const runs = values.quick ? 1 : Number(values.runs ?? 3);
const releasesPlayed = values.quick ? CANARY_RELEASES.filter((r) => r.version === 'v1.5.0') : CANARY_RELEASES;
if (!Number.isInteger(runs) || runs < 1 || runs > 20 || (values.quick && values.runs !== undefined)) {
  console.error(
    `canary-demo: --runs takes a whole number from 1 to 20, and not with --quick (one run each)\n${USAGE}`,
  );
  process.exit(2);
}

interface ReleaseRun {
  version: string;
  status: string;
  /** The execution's billable state transitions in all (describeExecution). */
  transitions: number;
  steps: StepActivity[];
  /** The hook's calls: its first (green's first weight) plus one read a judged window. */
  hookCalls: number;
  switchBack?: SwitchBack;
  /** What the load balancer served during the release's canary, from the proxy's counts. */
  served?: { greenBefore: number; greenErrors: number; totalBefore: number; greenAfter: number };
  /** Wall ms and pipeline ms from the verdict to the execution's end (the stage rolled back and failed). */
  verdictToExecutionEnd?: { wallMs: number; pipelineMs: number };
  cause?: string;
}

interface DemoRun {
  pauseFactor: number;
  releases: ReleaseRun[];
  requests: number;
  wallMs: number;
}

/** The demo's canary config with every pause `factor` times as long. */
function withPauses(config: PipelineConfig, factor: number): PipelineConfig {
  const prod = config.services.find((s) => s.name === 'orders-api')?.environments.prod;
  if (!prod?.canary) throw new Error('the demo canary config has no orders-api prod canary');
  const pauses = prod.canary.pauseMinutes;
  prod.canary.pauseMinutes = Array.isArray(pauses) ? pauses.map((p) => p * factor) : pauses * factor;
  return config;
}

async function playDemoCanary(pauseFactor: number): Promise<DemoRun> {
  const base = canaryConfig(CONFIG_FILE);
  if (!base) throw new Error(`${CONFIG_FILE} has no orders-api prod stage in ${REGION}`);
  const config = withPauses(base, pauseFactor);
  const started = performance.now();
  const clock = new AutoAdvanceClock(Date.parse(String(loadEvent('ecr-push-orders-api.json').time)));
  const pipeline = await LocalPipeline.start({
    config,
    clock,
    trafficPerMinute: TRAFFIC_PER_MINUTE / pauseFactor,
    behaviours: CANARY_BEHAVIOURS,
  });
  const events: ObservedLoadBalancerEvent[] = [];
  const stopObserving = pipeline.loadBalancers.observe((event) => {
    const observed: ObservedLoadBalancerEvent = { ...event };
    events.push(observed);
    // 100% on blue: green at 0% and its last request answered (at once when none is on its way).
    if (event.kind === 'weight' && event.greenPercent === 0) {
      if (event.greenInFlight === 0) observed.greenDrainedWallMs = event.wallMs;
      else
        void pipeline.loadBalancers.greenDrained(event.targets.listenerRule).then(() => {
          observed.greenDrainedWallMs = performance.now();
        });
    }
  });
  const ended = new Map<string, number>();
  const stopFollowing = pipeline.engine.onEvent((event) => {
    if (event.type === 'ExecutionFailed' || event.type === 'ExecutionSucceeded')
      ended.set(event.executionArn, performance.now());
  });
  const releases: ReleaseRun[] = [];
  try {
    for (const release of releasesPlayed) {
      const first = events.length;
      for (const file of release.events) {
        const event = loadEvent(file);
        const at = Date.parse(String(event.time));
        if (at > clock.now()) await clock.sleep(at - clock.now());
        await pipeline.putEvent(event);
        await pipeline.settled();
      }
      releases.push(await readRelease(pipeline, release.version, events.slice(first), ended));
    }
    const requests = [...pipeline.loadBalancers.sent.values()].reduce((a, b) => a + b, 0);
    return { pauseFactor, releases, requests, wallMs: performance.now() - started };
  } finally {
    stopObserving();
    stopFollowing();
    await pipeline.close();
  }
}

/** One release's canary, from the execution (status, history), the shift log and the proxy's counts. */
async function readRelease(
  pipeline: LocalPipeline,
  version: string,
  events: ObservedLoadBalancerEvent[],
  ended: Map<string, number>,
): Promise<ReleaseRun> {
  const { executions } = await pipeline.engine.listExecutions({});
  for (const execution of executions) {
    const described = await pipeline.engine.describeExecution({ executionArn: execution.executionArn });
    if ((JSON.parse(described.input) as Promotion).version !== version) continue;
    const { events: history } = await pipeline.engine.getExecutionHistory({
      executionArn: execution.executionArn,
    });
    const shift = await pipeline.shiftLog.get({
      executionName: execution.name,
      environment: 'prod',
      region: REGION,
    });
    const steps = stepActivity(shift?.records ?? [], events, history);
    const run: ReleaseRun = {
      version,
      status: described.status,
      transitions: described.stateTransitions,
      steps,
      hookCalls: (shift ? 1 : 0) + steps.reduce((n, s) => n + s.hookReads, 0),
      ...(described.cause !== undefined && { cause: described.cause }),
    };
    const switched = switchBack(events);
    const greenStart = events.find((e) => e.kind === 'weight' && e.greenPercent > 0);
    if (!switched || !greenStart) return run;
    const { targets } = greenStart;
    const before = await pipeline.loadBalancers.sample(targets, {
      from: greenStart.at,
      to: switched.verdictAt,
    });
    const all = await pipeline.loadBalancers.sample(targets, {
      from: greenStart.at,
      to: pipeline.clock.now() + 1_000,
    });
    const failedAt = history.find((h) => h.type === 'ExecutionFailed')?.timestamp;
    const endWall = ended.get(execution.executionArn);
    return {
      ...run,
      switchBack: switched,
      served: {
        greenBefore: before.green.requests,
        greenErrors: before.green.errors,
        totalBefore: before.green.requests + before.blue.requests,
        greenAfter: all.green.requests - before.green.requests,
      },
      ...(failedAt !== undefined &&
        endWall !== undefined && {
          verdictToExecutionEnd: {
            wallMs: endWall - switched.verdictWallMs,
            pipelineMs: new Date(failedAt).getTime() - switched.verdictAt,
          },
        }),
    };
  }
  throw new Error(`no execution released ${version}`);
}

const ms = (value: number | undefined): string => (value === undefined ? '-' : `${value.toFixed(2)} ms`);
const count = (value: number): string => value.toLocaleString('en-US');

function printBrokenCanary(all: DemoRun[]): void {
  console.log(
    "The demo's broken canary: orders-api prod/eu-west-1, 5 → 25 → 50 → 100, v1.5.0 three times slower " +
      `(latency:3x), ${values.quick ? 'on the initial version (--quick)' : 'after a healthy v1.4.0'}; ` +
      'real state machine, hook and proxy, on virtual time',
  );
  const rows: string[][] = [
    [
      'run',
      'pauses',
      'v1.5.0',
      'bad version served before the switch back',
      'after',
      'verdict → 0% green',
      'verdict → 100% on blue',
      'verdict → execution FAILED',
      'requests',
      'wall',
    ],
  ];
  all.forEach((run, i) => {
    const broken = run.releases.find((r) => r.version === 'v1.5.0');
    const served = broken?.served;
    const judged = broken?.steps.map((s) => `${s.percent}% ${s.outcome}`).join(', ') ?? '-';
    const end = broken?.verdictToExecutionEnd;
    rows.push([
      String(i + 1),
      `×${run.pauseFactor}`,
      `${broken?.status ?? 'never started'} (${judged})`,
      served
        ? `${count(served.greenBefore)} (${served.greenErrors} 5xx) of ${count(served.totalBefore)} ` +
          `(${((100 * served.greenBefore) / Math.max(1, served.totalBefore)).toFixed(1)}%)`
        : '-',
      served ? count(served.greenAfter) : '-',
      ms(broken?.switchBack?.verdictToSwitchMs),
      ms(broken?.switchBack?.verdictToAllBlueMs),
      end ? `${ms(end.wallMs)} (${duration(end.pipelineMs)} pipeline time)` : '-',
      count(run.requests),
      duration(run.wallMs),
    ]);
  });
  console.log(table(rows, '  '));
  const cause = all
    .flatMap((r) => r.releases)
    .find((r) => r.version === 'v1.5.0' && r.cause !== undefined)?.cause;
  if (cause) console.log(`  why: ${readableCause(cause)}`);
  const reactions = all.flatMap((r) => r.releases.flatMap((x) => (x.switchBack ? [x.switchBack] : [])));
  const toBlue = medianAndMax(reactions.flatMap((s) => s.verdictToAllBlueMs ?? []));
  const toZero = medianAndMax(reactions.map((s) => s.verdictToSwitchMs));
  if (toBlue && toZero)
    console.log(
      `verdict → 100% on blue over ${reactions.length} run(s): p50 ${ms(toBlue.p50)}, max ${ms(toBlue.max)} ` +
        `(0% green acknowledged: p50 ${ms(toZero.p50)}, max ${ms(toZero.max)})`,
    );
}

function printTransitions(short: DemoRun, long: DemoRun): void {
  console.log(
    `\nTransitions per step, flat in time: the same canary with the demo's pauses (×1) and ${LONG_PAUSE_FACTOR} ` +
      `times longer (×${LONG_PAUSE_FACTOR}, a ${LONG_PAUSE_FACTOR}th of the requests a minute: the same per window)`,
  );
  const rows: string[][] = [
    ['release', 'pauses', 'step', 'watched', 'windows', 'hook reads', 'states entered', 'verdict'],
  ];
  for (const run of [short, long])
    for (const release of run.releases)
      for (const step of release.steps)
        rows.push([
          release.version,
          `×${run.pauseFactor}`,
          `${step.percent}%`,
          duration(step.to - step.from),
          String(step.windows),
          String(step.hookReads),
          String(step.statesEntered),
          step.outcome,
        ]);
  console.log(table(rows, '  '));
  for (const version of releasesPlayed.map((r) => r.version)) {
    const [a, b] = [short, long].map((run) => run.releases.find((r) => r.version === version));
    console.log(
      `${version}: execution ${a?.transitions ?? '-'} state transitions (×1) vs ${b?.transitions ?? '-'} ` +
        `(×${LONG_PAUSE_FACTOR}); hook calls ${a?.hookCalls ?? '-'} vs ${b?.hookCalls ?? '-'}` +
        (a?.transitions === b?.transitions && a?.hookCalls === b?.hookCalls ? ': the same' : ': DIFFERENT'),
    );
  }
}

async function main(): Promise<void> {
  const demoRuns: DemoRun[] = [];
  for (let i = 0; i < runs; i++) demoRuns.push(await playDemoCanary(1));
  const long = await playDemoCanary(LONG_PAUSE_FACTOR);
  printBrokenCanary([...demoRuns, long]);
  printTransitions(demoRuns[0]!, long);
  const wrong = [...demoRuns, long].flatMap((run) =>
    run.releases.flatMap((r) =>
      r.version === 'v1.5.0' && (r.status !== 'FAILED' || !r.switchBack)
        ? [`×${run.pauseFactor}: v1.5.0 ${r.status}, never switched back`]
        : r.version === 'v1.4.0' && r.status !== 'SUCCEEDED'
          ? [`×${run.pauseFactor}: v1.4.0 ${r.status}`]
          : [],
    ),
  );
  if (wrong.length > 0) {
    console.error(`canary-demo: the demo's canary did not go as the demo expects: ${wrong.join('; ')}`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
