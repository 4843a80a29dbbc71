import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { FaultInjector } from '../../local-runtime/faults/fault-injector';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { loadEvent, sampleConfig } from '../support/fixtures';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/**
 * The races the fault test (faults.test.ts) hit about once in ten runs, each made to happen every time.
 */
const PAYMENTS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'payments-api' };
const BROKEN = 'badc0ffee0ddf00d1234567890abcdef12345678';
const FIXED = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const DEPLOYMENT_MS = 20 * 60_000;

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close({ abandon: true });
  pipeline = undefined;
});

function pushOf(commit: string, at: number, digestChar: string): Record<string, unknown> {
  const template = loadEvent('ecr-push-orders-api.json');
  return {
    ...template,
    id: `race-${commit.slice(0, 8)}`,
    time: new Date(at).toISOString(),
    detail: {
      ...template.detail,
      'repository-name': 'payments-api',
      'image-tag': `sha-${commit}`,
      'image-digest': `sha256:${digestChar.repeat(64)}`,
    },
  };
}

describe('reliability: races found by the fault test', () => {
  it('when the Lambda rolling a stage back dies after UpdateService, the stage keeps the lock until that rollback is deployed, so a queued push never deploys over it', async () => {
    // Prepare: every UpdateService is followed by the calling Lambda's death (the retry finds the
    // deployment it started); the first push fails its smoke tests, the second waits for the lock.
    pipeline = await LocalPipeline.start({
      config: sampleConfig(),
      faults: new FaultInjector({ seed: 1, crashAfterUpdateService: 1 }),
      behaviours: { [BROKEN.slice(0, 9)]: { failsHealthCheck: true } },
      deploymentMs: DEPLOYMENT_MS,
      sweepEveryMs: 60_000,
    });
    const local = pipeline;
    const start = local.clock.now();

    // Act
    const first = local.putEvent(pushOf(BROKEN, start, 'b'));
    await local.clock.sleep(60_000);
    const second = local.putEvent(pushOf(FIXED, start + 60_000, 'f'));
    await Promise.all([first, second]);
    await local.settled();

    // Assess
    const { executions } = await local.engine.listExecutions({});
    const outcomes = await Promise.all(
      executions.map(async (e) => {
        const d = await local.engine.describeExecution({ executionArn: e.executionArn });
        return [d.name.slice(0, 29), d.status, d.error ?? null];
      }),
    );
    expect(outcomes.sort()).toEqual([
      ['push-payments-api-badc0ffee0d', 'FAILED', 'SmokeTestFailed'],
      ['push-payments-api-c0ffee00c0f', 'SUCCEEDED', null],
    ]);
    // The rollback's rollout finished before the next deployment started: no two deployments at once.
    expect(local.platform.overlaps).toEqual([]);
    const serving = local.platform.serving(PAYMENTS_PPE)?.containers.find((c) => c.name === 'app');
    expect(serving?.environment[DEPLOYED_ENV.commit]).toBe(FIXED);
    const rollbacks = local.lambdas.invocations.filter((i) => i.functionName === 'rollBackService');
    expect(rollbacks.map((i) => i.errorName ?? 'ok')).toEqual(['Lambda.Unknown', 'ok']);
  });

  it('when the deploy Lambda dies after UpdateService, its retries fail and so does every rollback attempt, the "rollback failed" record names the revision that serves', async () => {
    // Prepare: the fault test's "unexplained" target (seed 4 at higher rates; once in a full npm test): the
    // deploy step's result is lost with its Lambda, so the state had no deployment for the record to name.
    pipeline = await LocalPipeline.start({
      config: sampleConfig(),
      faults: new FaultInjector({ seed: 1, crashAfterUpdateService: 1 }),
      sweepEveryMs: 60_000,
    });
    const local = pipeline;
    const stopListening = local.engine.onEvent((event) => {
      const details = event.details as { name?: string; error?: string };
      if (event.type === 'TaskFailed' && details.error === 'Lambda.Unknown') {
        local.lambdas.failNext('deployService', 10, 'Lambda.ServiceException');
        local.lambdas.failNext('rollBackService', 10, 'Lambda.ServiceException');
      }
    });

    // Act
    await local.putEvent(pushOf(BROKEN, local.clock.now(), 'b'));
    await local.settled();
    stopListening();

    // Assess
    const [execution] = (await local.engine.listExecutions({})).executions;
    const described = await local.engine.describeExecution({ executionArn: execution!.executionArn });
    expect([described.status, described.error]).toEqual(['FAILED', 'RollbackFailed']);
    const deploys = local.lambdas.invocations.filter((i) => i.functionName === 'deployService');
    expect(deploys.map((i) => i.errorName)).toEqual([
      'Lambda.Unknown',
      ...Array(5).fill('Lambda.ServiceException'),
    ]);
    const serving = local.platform.serving(PAYMENTS_PPE);
    expect(serving?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit]).toBe(BROKEN);
    const records = await local.records.history('payments-api');
    expect(records.map((r) => [r.outcome, r.taskDefinitionArn])).toEqual([['rollback failed', serving?.arn]]);
  });
});
