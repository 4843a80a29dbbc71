/**
 * How fast a canary reacts to a bad release, measured on real traffic: steps green's share through
 * `steps`, judges each step with judgeStep on what the metrics source measured over that step's window
 * (extending it, within `maxStepMs`, while the verdict is inconclusive), and on a failure switches all
 * traffic back to blue. Reports the requests the bad version served before the switch back and the time
 * from the verdict to 100% on blue (the router acknowledged and green's last request answered).
 *
 * `runCanarySteps` works on the ports alone (any TrafficRouter and TrafficMetricsSource), so a demo can run
 * it on its own local load balancer; `measureCanaryReaction` builds the whole local stack for it: a blue and
 * a degraded green sample service, the proxy in front and a traffic generator.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createSampleServer, type SampleServiceState } from '../../examples/sample-service/app';
import { systemClock, type Clock } from '../../shared/clock';
import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type JudgementThresholds,
  type StepVerdict,
  type TrafficSample,
} from '../../shared/domain/traffic-judgement';
import type { TrafficMetricsSource, TrafficRouter, TrafficTargets } from '../../shared/ports/traffic';
import { LocalTrafficProxy } from './local-traffic-proxy';
import { TrafficGenerator } from './traffic-generator';

export interface CanaryStepsOptions {
  targets: TrafficTargets;
  router: TrafficRouter;
  metrics: TrafficMetricsSource;
  /** The clock the metrics are filed on. */
  clock: Clock;
  /** Green's share at each step, percent. Default 5, 25, 50, 100. */
  steps?: number[];
  thresholds?: JudgementThresholds;
  /** How long a step waits before its first judgement (its pause), ms of `clock`. Default 0. */
  pauseMs?: number;
  /** The bound on extending an inconclusive step, ms of `clock`. Default 60 s. */
  maxStepMs?: number;
  /** How often an inconclusive step looks again, real ms. Default 250. */
  pollMs?: number;
  /** Resolves once green serves nothing any more (the local proxy's greenDrained). Default: at once. */
  drained?: () => Promise<void>;
}

export interface CanaryRun {
  /** Every step's last verdict, in order. */
  steps: StepVerdict[];
  /** The verdict that stopped the canary: a fail, or an inconclusive step at its bound; absent when all passed. */
  stopped?: StepVerdict;
  /** What green served from the first step to the switch back (the bad version's requests, when it was bad). */
  green: TrafficSample;
  /** Real ms from the stopping verdict to the router's acknowledgement of 0% green. */
  verdictToSwitchMs?: number;
  /** Real ms from the stopping verdict to 100% on blue: switched and green's last request answered. */
  verdictToAllBlueMs?: number;
}

export async function runCanarySteps(options: CanaryStepsOptions): Promise<CanaryRun> {
  const { targets, router, metrics, clock } = options;
  const thresholds = options.thresholds ?? DEFAULT_JUDGEMENT_THRESHOLDS;
  const maxStepMs = options.maxStepMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const started = clock.now();
  const steps: StepVerdict[] = [];
  let stopped: StepVerdict | undefined;

  for (const percent of options.steps ?? [5, 25, 50, 100]) {
    await router.setGreenWeight(targets, percent);
    const from = clock.now();
    if (options.pauseMs) await clock.sleep(options.pauseMs);
    let verdict: StepVerdict;
    for (;;) {
      const to = clock.now() + 1;
      verdict = judgeStep(
        { ...(await metrics.sample(targets, { from, to })), greenPercent: percent, windowMs: to - from },
        thresholds,
      );
      if (verdict.outcome !== 'inconclusive' || to - from >= maxStepMs) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    steps.push(verdict);
    if (verdict.outcome !== 'pass') {
      stopped = verdict;
      break;
    }
  }
  if (!stopped) {
    const end = clock.now() + 1_000;
    return { steps, green: (await metrics.sample(targets, { from: started, to: end })).green };
  }

  const verdictAt = performance.now();
  await router.setGreenWeight(targets, 0);
  const switchedAt = performance.now();
  await (options.drained?.() ?? Promise.resolve());
  const allBlueAt = performance.now();
  const green = (await metrics.sample(targets, { from: started, to: clock.now() + 1_000 })).green;
  return {
    steps,
    stopped,
    green,
    verdictToSwitchMs: switchedAt - verdictAt,
    verdictToAllBlueMs: allBlueAt - verdictAt,
  };
}

export interface CanaryReactionOptions extends Omit<
  CanaryStepsOptions,
  'targets' | 'router' | 'metrics' | 'clock' | 'drained'
> {
  /** How the green build degrades, e.g. `{ latencyFactor: 3 }` or `{ errorRate: 0.08 }`. */
  green: Pick<SampleServiceState, 'errorRate' | 'latencyFactor'>;
  /** Median work time of a request on both versions, ms. Default the sample service's. */
  workMs?: number;
  /** Concurrent clients of the traffic generator. Default 16. */
  concurrency?: number;
}

export interface CanaryReaction extends CanaryRun {
  /** Requests the traffic generator sent during the run. */
  sent: number;
}

const LOCAL_TARGETS: TrafficTargets = {
  region: 'local',
  loadBalancer: 'local/canary-reaction',
  listenerRule: 'local/canary-reaction/rule',
  blueTargetGroup: 'local/canary-reaction/blue',
  greenTargetGroup: 'local/canary-reaction/green',
};

/** The canary on a local stack of its own: blue and a degraded green behind the proxy, real requests. */
export async function measureCanaryReaction(options: CanaryReactionOptions): Promise<CanaryReaction> {
  const servers: Server[] = [];
  const serve = async (state: SampleServiceState): Promise<string> => {
    const server = createSampleServer(() => state);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const work = options.workMs !== undefined ? { workMs: options.workMs } : {};
  const proxy = new LocalTrafficProxy({
    targets: LOCAL_TARGETS,
    upstreams: {
      blue: await serve({ commit: 'blue', ...work }),
      green: await serve({ commit: 'green', ...work, ...options.green }),
    },
    clock: systemClock,
  });
  await proxy.listen();
  const traffic = new TrafficGenerator({ url: proxy.url, concurrency: options.concurrency ?? 16 });
  traffic.start();
  try {
    const run = await runCanarySteps({
      ...options,
      targets: LOCAL_TARGETS,
      router: proxy,
      metrics: proxy,
      clock: systemClock,
      drained: () => proxy.greenDrained(),
    });
    return { ...run, sent: (await traffic.stop()).requests };
  } finally {
    await traffic.stop();
    await proxy.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
