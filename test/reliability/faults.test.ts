import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { allStages, LocalPipeline } from '../../local-runtime/local-pipeline';
import { FaultInjector, type FaultPlan } from '../../local-runtime/faults/fault-injector';
import { SeededRandom } from '../../local-runtime/seeded-random';
import { REPO_ROOT } from '../support/fixtures';
import { generatedPushes } from './generated-pushes';
import { reportReliability } from './summary';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/**
 * Issue #8, faults: pushes of both sample services go through the real promote state machine while the
 * local ECS, CloudWatch and DynamoDB fail some calls as AWS does (throttling, 5xx, timeouts, through the
 * fault layer in local-runtime/faults/), Lambdas die right after UpdateService and smoke endpoints hang.
 * Then the faults stop and every failed execution is redriven.
 */
const SEED = 0xfa017;
const PUSHES = 24;
const PUSH_EVERY_MS = 4 * 60_000;
const SERVICES = ['orders-api', 'payments-api'] as const;
const PLAN: FaultPlan = {
  seed: SEED,
  rates: { ecs: 0.15, cloudwatch: 0.2, dynamodb: 0.05 },
  crashAfterUpdateService: 0.3,
  hangingSmokeChecks: 0.15,
};

type Ending = 'succeeded' | 'rolled back with a cause' | 'failed, redrivable' | 'undefined';

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close({ abandon: true });
});

function pushes(start: number, random: SeededRandom) {
  return generatedPushes(
    { count: PUSHES, start, everyMs: PUSH_EVERY_MS, idPrefix: 'fault', services: SERVICES },
    random,
  );
}

async function endings(local: LocalPipeline) {
  const { executions } = await local.engine.listExecutions({});
  return Promise.all(
    executions.map(async ({ executionArn }) => {
      const e = await local.engine.describeExecution({ executionArn });
      let ending: Ending = 'undefined';
      if (e.status === 'SUCCEEDED') ending = 'succeeded';
      else if (e.status === 'FAILED' && e.redriveStatus === 'REDRIVABLE' && e.error && e.cause)
        ending = /rolled back/.test(e.cause) ? 'rolled back with a cause' : 'failed, redrivable';
      return { ...e, ending };
    }),
  );
}

/**
 * Targets whose serving revision no deployment record explains: the records table must hold a record of
 * that revision in that environment/region that left it running (`deployed`, or `rollback failed`, whose
 * cause tells the operator it may still run), and, once everything settled after the redrives, its
 * "running" view must name exactly what serves. The bootstrap revision carries no execution.
 */
async function unexplained(local: LocalPipeline, settledForGood: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const stage of allStages(local.config)) {
    const serving = local.platform.serving(stage);
    const container = serving?.containers.find((c) => c.name === stage.container);
    if (!serving || !container?.environment[DEPLOYED_ENV.execution]) continue;
    const where = (r: { environment: string; region: string }) =>
      r.environment === stage.environment && r.region === stage.region;
    const history = (await local.records.history(stage.service)).filter(where);
    const explained = history.some(
      (r) =>
        r.taskDefinitionArn === serving.arn &&
        (r.outcome === 'deployed' || (!settledForGood && r.outcome === 'rollback failed')),
    );
    const running = (await local.records.running(stage.service)).find(where);
    if (!explained || (settledForGood && running?.taskDefinitionArn !== serving.arn))
      problems.push(`${stage.service} ${stage.environment}/${stage.region} serves ${serving.arn}`);
  }
  return problems;
}

/** The same revision sent to one service twice in a row: a retried or redriven step deployed again. */
function deployedTwice(local: LocalPipeline): string[] {
  const lastArn = new Map<string, string>();
  const twice: string[] = [];
  for (const call of local.platform.calls.filter((c) => c.method === 'updateService')) {
    const [target, arn] = call.args as [{ region: string; cluster: string; service: string }, string];
    const key = `${target.region}/${target.cluster}/${target.service}`;
    if (lastArn.get(key) === arn) twice.push(`${key} ${arn}`);
    lastArn.set(key, arn);
  }
  return twice;
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

describe('reliability: faults in AWS and in the steps', () => {
  it('when AWS throttles, fails and times out, Lambdas crash after UpdateService and endpoints hang, every execution ends defined, nothing runs unexplained, and redrives complete them', async () => {
    // Prepare
    const faults = new FaultInjector(PLAN);
    pipeline = await LocalPipeline.start({
      config: loadConfigFile(join(REPO_ROOT, 'pipeline.config.yml')),
      faults,
      sweepEveryMs: 60_000,
    });
    const local = pipeline;
    const planned = pushes(local.clock.now(), new SeededRandom(SEED));

    // Act 1: the pushes arrive, one every few minutes, while AWS misbehaves
    const deliveries: Promise<unknown>[] = [];
    for (const push of planned) {
      const wait = push.pushedAt - local.clock.now();
      if (wait > 0) await local.clock.sleep(wait);
      deliveries.push(local.putEvent(push.event));
    }
    await Promise.all(deliveries);
    await local.settled();
    const injected = { ...faults.injected };
    // The outage ends before the test reads the records: they are read through the same DynamoDB client,
    // whose injected faults would fail the test's own reads, not the pipeline.
    faults.stop();
    const duringFaults = await endings(local);
    const unexplainedDuringFaults = await unexplained(local, false);

    // Act 2: an operator redrives every failed execution
    const failed = duringFaults.filter((e) => e.status === 'FAILED');
    for (const e of failed) await local.engine.redriveExecution({ executionArn: e.executionArn });
    await local.settled();
    const afterRedrive = await endings(local);

    // Assess
    expect(Object.keys(injected).length).toBeGreaterThanOrEqual(6); // the faults did happen
    expect(duringFaults).toHaveLength(PUSHES);
    expect(duringFaults.filter((e) => e.ending === 'undefined').map((e) => [e.name, e.status])).toEqual([]);
    expect(unexplainedDuringFaults).toEqual([]);
    expect(afterRedrive.filter((e) => e.status !== 'SUCCEEDED').map((e) => [e.name, e.error])).toEqual([]);
    expect(await unexplained(local, true)).toEqual([]);
    expect(deployedTwice(local)).toEqual([]);
    // Two deployments at once only where a stage that gave up rolled its own rollout back to what still served.
    const [abortedRollouts, overlaps] = partition(
      local.platform.overlaps,
      (o) => o.startedTaskDefinitionArn === o.servingTaskDefinitionArn,
    );
    expect(overlaps).toEqual([]);
    for (const service of SERVICES) {
      const newest = planned.filter((p) => p.service === service).at(-1)!;
      const serving = local.platform
        .serving({ region: 'eu-west-1', cluster: 'ppe', service })
        ?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit];
      expect(serving).toBe(newest.commit);
    }

    const count = (list: { ending: Ending }[], ending: Ending) =>
      list.filter((e) => e.ending === ending).length;
    reportReliability('faults', {
      threw: { pushes: PUSHES, seed: SEED, ...injected },
      held: {
        'ended succeeded': count(duringFaults, 'succeeded'),
        'ended rolled back with a cause': count(duringFaults, 'rolled back with a cause'),
        'ended failed, redrivable': count(duringFaults, 'failed, redrivable'),
        'ended undefined': count(duringFaults, 'undefined'),
        'targets running an unexplained version': unexplainedDuringFaults.length,
        redriven: failed.length,
        'succeeded after redrive': afterRedrive.filter((e) => e.status === 'SUCCEEDED').length,
        'revisions deployed twice in a row': deployedTwice(local).length,
        'overlapping deployments': overlaps.length,
        'rollouts rolled back while rolling out': abortedRollouts.length,
      },
    });
  });
});
