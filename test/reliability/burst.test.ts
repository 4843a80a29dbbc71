import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { StartDecision } from '../../shared/use-cases/start-promotion';
import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { SeededRandom } from '../../local-runtime/seeded-random';
import { REPO_ROOT } from '../support/fixtures';
import { generatedPushes, type GeneratedPush } from './generated-pushes';
import { reportReliability } from './summary';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/**
 * Issue #8, burst: 200 `sha-*` pushes of the two sample services, delivered in a seeded random order, 20% of
 * them twice, through the real promote state machine, handlers and DynamoDB lock adapter on the local
 * runtime. Virtual time: the pushes span about an hour and the run takes seconds.
 */
const SEED = 0x8b0b5;
const PUSHES = 200;
const DUPLICATE_RATE = 0.2;
const SERVICES = ['orders-api', 'payments-api'] as const;
/** Builds finish this far apart; EventBridge delivers each push 0–8 minutes after it happened. */
const PUSH_EVERY_MS = 20_000;
const MAX_DELIVERY_DELAY_MS = 8 * 60_000;

type Push = GeneratedPush<(typeof SERVICES)[number]>;

interface Delivery {
  push: Push;
  at: number;
  duplicate: boolean;
}

function plan(start: number, random: SeededRandom): { pushes: Push[]; deliveries: Delivery[] } {
  const pushes = generatedPushes(
    { count: PUSHES, start, everyMs: PUSH_EVERY_MS, idPrefix: 'burst', services: SERVICES },
    random,
  );
  const deliveries = pushes.flatMap((push) => {
    const once = { push, at: push.pushedAt + random.below(MAX_DELIVERY_DELAY_MS), duplicate: false };
    if (!random.chance(DUPLICATE_RATE)) return [once];
    return [once, { push, at: push.pushedAt + random.below(MAX_DELIVERY_DELAY_MS), duplicate: true }];
  });
  // Stable on ties: several deliveries in the same instant arrive in the order drawn.
  deliveries.sort((a, b) => a.at - b.at);
  return { pushes, deliveries };
}

/** Deliveries that arrived after a later push of the same service had already been delivered. */
function outOfOrder(deliveries: Delivery[]): number {
  const newestSeen = new Map<string, number>();
  let count = 0;
  for (const { push } of deliveries) {
    const newest = newestSeen.get(push.service) ?? -Infinity;
    if (push.pushedAt < newest) count++;
    newestSeen.set(push.service, Math.max(newest, push.pushedAt));
  }
  return count;
}

/** Virtual time that remembers the signals sleeps were given, to count the listeners left on them. */
class SignalWatchingClock extends AutoAdvanceClock {
  private readonly signals = new Set<AbortSignal>();

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal) this.signals.add(signal);
    return super.sleep(ms, signal);
  }

  /** The most abort listeners any one signal still has (Node warns above 10). */
  abortListenersLeft(): number {
    return Math.max(0, ...[...this.signals].map((s) => getEventListeners(s, 'abort').length));
  }
}

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close({ abandon: true });
});

describe('reliability: a burst of pushes', () => {
  it('when 200 pushes arrive shuffled and partly twice, each PPE ends on the newest image, deployments never overlap and every push is accounted for', async () => {
    // Prepare
    const clock = new SignalWatchingClock();
    pipeline = await LocalPipeline.start({
      config: loadConfigFile(join(REPO_ROOT, 'pipeline.config.yml')),
      clock,
    });
    const local = pipeline;
    const { pushes, deliveries } = plan(local.clock.now(), new SeededRandom(SEED));
    const decisions: { push: Push; decision?: StartDecision; error?: string }[] = [];

    // Act: each delivery at its (virtual) time, without waiting for the ones before it to finish
    const inFlight: Promise<void>[] = [];
    for (const delivery of deliveries) {
      const wait = delivery.at - local.clock.now();
      if (wait > 0) await local.clock.sleep(wait);
      inFlight.push(
        local.putEvent(structuredClone(delivery.push.event)).then((routed) => {
          const [routedTo] = routed.deliveries;
          decisions.push({
            push: delivery.push,
            ...(routedTo?.error
              ? { error: `${routedTo.error.name}: ${routedTo.error.message}` }
              : { decision: routedTo?.result as StartDecision }),
          });
        }),
      );
    }
    await Promise.all(inFlight);
    await local.settled();

    // Assess
    const { executions } = await local.engine.listExecutions({});
    const described = await Promise.all(
      executions.map((e) => local.engine.describeExecution({ executionArn: e.executionArn })),
    );
    const outcomeOf = new Map<string, string>();
    for (const execution of described) {
      const output = execution.output ? JSON.parse(execution.output) : undefined;
      outcomeOf.set(
        execution.name,
        execution.status === 'SUCCEEDED'
          ? String(output.deployments[0].outcome)
          : `${execution.status} ${execution.error ?? ''}`,
      );
    }

    // No push started more than one execution, whatever the number of deliveries. (A duplicate that arrives
    // while the first execution still runs gets that execution back: StartExecution is idempotent then.)
    const executionsPerPush = new Map<number, Set<string>>();
    for (const { push, decision } of decisions)
      if (decision?.started)
        executionsPerPush.set(
          push.index,
          (executionsPerPush.get(push.index) ?? new Set()).add(decision.executionArn),
        );
    const commitsRun = described.map((e) => JSON.parse(e.input!).commit as string);
    expect([...executionsPerPush.values()].filter((arns) => arns.size > 1)).toEqual([]);
    expect(new Set(commitsRun).size).toBe(commitsRun.length);
    expect(executions).toHaveLength(executionsPerPush.size);

    // Every push accounted for: deployed, superseded, or not started with a reason.
    const accounts = pushes.map((push) => {
      const mine = decisions.filter((d) => d.push === push);
      const started = mine.find((d) => d.decision?.started);
      if (started?.decision?.started) return outcomeOf.get(started.decision.name) ?? 'no execution';
      const reasons = mine.map((d) => (d.decision?.started === false ? d.decision.reason : d.error));
      return reasons.every((r) => r && r.length > 0) ? 'ignored' : 'unaccounted';
    });
    const count = (outcome: string) => accounts.filter((a) => a === outcome).length;
    expect(accounts.filter((a) => !['deployed', 'superseded', 'ignored'].includes(a))).toEqual([]);
    const notStarted = decisions.filter((d) => d.decision?.started === false);
    expect(
      notStarted.filter(
        (d) => !/duplicate delivery/.test(String(d.decision && !d.decision.started && d.decision.reason)),
      ),
    ).toEqual([]);

    // Each service's PPE runs its newest push (by push time), and nothing deployed over a running deployment.
    const serving = Object.fromEntries(
      SERVICES.map((service) => [
        service,
        local.platform
          .serving({ region: 'eu-west-1', cluster: 'ppe', service })
          ?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit],
      ]),
    );
    const newest = Object.fromEntries(
      SERVICES.map((service) => [
        service,
        pushes.filter((p) => p.service === service).sort((a, b) => b.pushedAt - a.pushedAt)[0]!.commit,
      ]),
    );
    expect(serving).toEqual(newest);
    // Deployments of a service follow push time: an older image never replaced a newer one.
    const pushedAt = new Map(pushes.map((p) => [p.commit, p.pushedAt]));
    const backwards: string[] = [];
    for (const service of SERVICES) {
      const updates = local.platform.calls.filter(
        (c) => c.method === 'updateService' && (c.args[0] as { service: string }).service === service,
      );
      let previous = -Infinity;
      for (const update of updates) {
        const revision = await local.platform.describeTaskDefinition('eu-west-1', update.args[1] as string);
        const at = pushedAt.get(revision.containers[0]!.environment[DEPLOYED_ENV.commit]!)!;
        if (at < previous) backwards.push(`${service}: ${revision.arn}`);
        previous = at;
      }
    }
    expect(backwards).toEqual([]);
    expect(local.platform.overlaps).toEqual([]);
    // What made Node warn "MaxListenersExceededWarning" in bursts: finished sleeps that kept their listener.
    const leftOnSignals = clock.abortListenersLeft();
    expect(leftOnSignals).toBeLessThanOrEqual(1); // at most the one the stack's sweep would keep

    reportReliability('burst', {
      threw: {
        pushes: PUSHES,
        deliveries: deliveries.length,
        'delivered twice': deliveries.filter((d) => d.duplicate).length,
        'delivered after a newer push': outOfOrder(deliveries),
        seed: SEED,
      },
      held: {
        executions: executions.length,
        'pushes with more than one execution': [...executionsPerPush.values()].filter((a) => a.size > 1)
          .length,
        'duplicates answered by the running execution': decisions.filter(
          (d, i) =>
            d.decision?.started && decisions.findIndex((o) => o.push === d.push && o.decision?.started) !== i,
        ).length,
        deployed: count('deployed'),
        superseded: count('superseded'),
        'ignored with a reason': count('ignored'),
        unaccounted: accounts.length - count('deployed') - count('superseded') - count('ignored'),
        'overlapping deployments': local.platform.overlaps.length,
        'older image deployed over a newer one': backwards.length,
        'PPE on the newest push': SERVICES.filter((s) => serving[s] === newest[s]).length + '/2',
        'abort listeners left on long-lived signals': leftOnSignals,
      },
    });
  });
});
