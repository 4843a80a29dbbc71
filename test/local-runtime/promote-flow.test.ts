import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import {
  LocalPipeline,
  type LocalPipelineOptions,
  type VersionBehaviour,
} from '../../local-runtime/local-pipeline';
import type { StartDecision } from '../../shared/use-cases/start-promotion';
import { FaultInjector } from '../../local-runtime/faults/fault-injector';
import { loadEvent } from '../support/fixtures';
import { BROKEN_COMMIT, GOOD_COMMIT, ORDERS_PPE } from '../support/orders-api';

/**
 * The real statemachines/promote.asl.yml, executed by the local runtime with the real handlers, the real
 * DynamoDB adapters (dynalite) and the local ECS/CloudWatch/endpoint adapters.
 */
const ROOT = join(__dirname, '..', '..');
const config = () => loadConfigFile(join(ROOT, 'pipeline.config.yml'));

let pipeline: LocalPipeline;

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), ...options });
  return pipeline;
}

async function push(name: string): Promise<StartDecision | undefined> {
  const routed = await pipeline.putEvent(loadEvent(name));
  await pipeline.settled();
  return routed.deliveries[0]?.result as StartDecision | undefined;
}

async function onlyExecution() {
  const { executions } = await pipeline.engine.listExecutions({});
  expect(executions).toHaveLength(1);
  return pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
}

function servingCommit(target = ORDERS_PPE): string | undefined {
  return pipeline.platform.serving(target)?.containers.find((c) => c.name === 'app')?.environment[
    DEPLOYED_ENV.commit
  ];
}

async function historyOf(executionArn: string) {
  return (await pipeline.engine.getExecutionHistory({ executionArn })).events;
}

afterEach(async () => {
  await pipeline?.close();
});

describe('promote state machine, executed locally', () => {
  it('when a sha-* image is pushed, it deploys the digest to PPE, smoke-tests, bakes and succeeds in 13 transitions', async () => {
    // Prepare
    await start();

    // Act
    const decision = await push('ecr-push-orders-api.json');

    // Assess
    expect(decision).toMatchObject({ started: true, name: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c' });
    const execution = await onlyExecution();
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stateTransitions).toBe(13);
    const digest = (loadEvent('ecr-push-orders-api.json').detail as Record<string, string>)['image-digest'];
    expect(JSON.parse(execution.output!)).toMatchObject({
      service: 'orders-api',
      version: `sha-${GOOD_COMMIT}`,
      digest,
      deployments: [{ environment: 'ppe', region: 'eu-west-1', digest, outcome: 'deployed' }],
    });
    const serving = pipeline.platform.serving(ORDERS_PPE)!.containers[0]!;
    expect(serving.image).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@${digest}`);
    expect(servingCommit()).toBe(GOOD_COMMIT);
    expect(pipeline.fleet.requests.map((r) => r.url)).toEqual([
      'https://orders-api.ppe.eu-west-1.example.internal/health',
      'https://orders-api.ppe.eu-west-1.example.internal/orders',
    ]);
  });

  it.each<[string, VersionBehaviour, string, string]>([
    ['the health check fails', { failsHealthCheck: true }, 'SmokeTestFailed', 'expected status 200, got 503'],
    ['an alarm fires during the bake', { breachesAlarms: true }, 'AlarmBreached', 'orders-api-ppe-5xx'],
    ['the ECS deployment fails', { failsToStart: true }, 'DeploymentFailed', 'circuit breaker'],
  ])(
    'when %s, it rolls PPE back to the previous revision and fails with a clear cause',
    async (_, behaviour, error, detail) => {
      // Prepare
      await start({ behaviours: { [GOOD_COMMIT.slice(0, 7)]: {}, badc0ffee: behaviour } });
      await push('ecr-push-orders-api.json');
      const goodRevision = pipeline.platform.serving(ORDERS_PPE)!.arn;

      // Act
      await push('ecr-push-orders-api-broken.json');

      // Assess
      const { executions } = await pipeline.engine.listExecutions({});
      const broken = await pipeline.engine.describeExecution({
        executionArn: executions.find((e) => e.name.includes('badc0ffee'))!.executionArn,
      });
      expect(broken.status).toBe('FAILED');
      expect(broken.error).toBe(error);
      expect(broken.cause).toContain(detail);
      expect(broken.cause).toContain('rolled back');
      expect(broken.redriveStatus).toBe('REDRIVABLE');
      expect(servingCommit()).toBe(GOOD_COMMIT);
      expect(pipeline.platform.serving(ORDERS_PPE)!.arn).toBe(goodRevision);
      expect((await pipeline.platform.describeService(ORDERS_PPE)).taskDefinitionArn).toBe(goodRevision);
    },
  );

  it("when ECS's circuit breaker rolls back, the stage waits for that rollback before it stops", async () => {
    // Prepare
    await start({ behaviours: { [GOOD_COMMIT.slice(0, 7)]: {}, badc0ffee: { failsToStart: true } } });
    await push('ecr-push-orders-api.json');

    // Act
    await push('ecr-push-orders-api-broken.json');

    // Assess
    const { executions } = await pipeline.engine.listExecutions({});
    const broken = executions.find((e) => e.name.includes('badc0ffee'))!;
    const history = await historyOf(broken.executionArn);
    const entered = history
      .filter((e) => e.type.endsWith('StateEntered'))
      .map((e) => ({ name: String(e.details.name), at: new Date(e.timestamp).getTime() }));
    const names = entered.map((e) => e.name);
    expect(names).toContain('Wait for rollback deployment');
    const rollback = (await pipeline.platform.describeService(ORDERS_PPE)).deployments[0]!;
    expect(rollback).toMatchObject({ status: 'PRIMARY', rolloutState: 'COMPLETED' });
    const stopped = entered.find((e) => e.name === 'Stop the stage')!;
    expect(stopped.at).toBeGreaterThanOrEqual(rollback.createdAt! + 90_000);
  });

  it("when the stage waits for its rollback deployment, it names the revision the rollback deploys, which the sweep needs to find it in ECS's history", async () => {
    // Prepare
    await start({ behaviours: { [GOOD_COMMIT.slice(0, 7)]: {}, badc0ffee: { failsHealthCheck: true } } });
    await push('ecr-push-orders-api.json');
    const goodRevision = pipeline.platform.serving(ORDERS_PPE)!.arn;

    // Act
    await push('ecr-push-orders-api-broken.json');

    // Assess
    const { executions } = await pipeline.engine.listExecutions({});
    const broken = executions.find((e) => e.name.includes('badc0ffee'))!;
    const history = await historyOf(broken.executionArn);
    const rolledBack = history.find(
      (e) => e.type === 'TaskStateExited' && e.details.name === 'Roll back region',
    )?.details.output as { rollback: { deploymentId: string } };
    const waits = history
      .filter((e) => e.type === 'TaskScheduled' && e.details.name === 'Wait for rollback deployment')
      .map((e) => (e.details.input as { Payload: Record<string, unknown> }).Payload);
    expect(waits).toEqual([
      expect.objectContaining({
        deploymentId: rolledBack.rollback.deploymentId,
        taskDefinitionArn: goodRevision,
      }),
    ]);
  });

  it('when ECS and Lambda throttle, it retries the steps and still succeeds', async () => {
    // Prepare
    await start();
    pipeline.platform.throttleNext(2);
    pipeline.lambdas.failNext('runSmokeChecks', 1, 'Lambda.TooManyRequestsException');

    // Act
    await push('ecr-push-orders-api.json');

    // Assess
    const execution = await onlyExecution();
    expect(execution.status).toBe('SUCCEEDED');
    const failures = (await historyOf(execution.executionArn))
      .filter((e) => e.type === 'TaskFailed')
      .map((e) => e.details.error);
    expect(failures).toEqual(['AwsTransientError', 'AwsTransientError', 'Lambda.TooManyRequestsException']);
    expect(execution.stateTransitions).toBe(13 + 3);
    expect(servingCommit()).toBe(GOOD_COMMIT);
  });

  it('when the deploy Lambda dies right after UpdateService, the retry finds its ECS deployment: one update, no rollback', async () => {
    // Prepare
    await start({ faults: new FaultInjector({ seed: 1, crashAfterUpdateService: 1 }) });

    // Act
    await push('ecr-push-orders-api.json');

    // Assess
    const execution = await onlyExecution();
    expect(execution.status).toBe('SUCCEEDED');
    const failures = (await historyOf(execution.executionArn))
      .filter((e) => e.type === 'TaskFailed')
      .map((e) => e.details.error);
    expect(failures).toEqual(['Lambda.Unknown']);
    expect(pipeline.platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(1);
    expect(pipeline.platform.overlaps).toEqual([]);
    expect(servingCommit()).toBe(GOOD_COMMIT);
  });

  it('when the same push is delivered twice, it starts one execution and deploys once', async () => {
    // Prepare
    await start();
    await push('ecr-push-orders-api.json');

    // Act
    const second = await push('ecr-push-orders-api.json');

    // Assess
    expect(second).toMatchObject({ started: false, reason: expect.stringContaining('duplicate delivery') });
    await onlyExecution();
    expect(pipeline.platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(1);
    expect(pipeline.platform.calls.filter((c) => c.method === 'registerRevision')).toHaveLength(1);
  });

  it.each([
    'ecr-push-latest-tag.json',
    'ecr-push-failed.json',
    'ecr-delete.json',
    'ecr-push-unknown-repository.json',
    'ecr-push-untagged.json',
    'malformed-missing-envelope-fields.json',
  ])('when %s arrives, no rule matches and nothing starts', async (name) => {
    // Prepare
    await start();

    // Act
    const routed = await pipeline.putEvent(loadEvent(name));

    // Assess
    expect(routed.deliveries).toEqual([]);
    expect((await pipeline.engine.listExecutions({})).executions).toEqual([]);
  });

  it('when a matching event is malformed, the handler rejects it with the field and nothing starts', async () => {
    // Prepare
    await start();
    const bad = loadEvent('ecr-push-orders-api.json');
    delete bad.id;

    // Act
    const routed = await pipeline.putEvent(bad);

    // Assess
    expect(routed.deliveries).toEqual([
      { rule: 'startPromotion', error: { name: 'MalformedEvent', message: expect.stringContaining('id') } },
    ]);
    expect((await pipeline.engine.listExecutions({})).executions).toEqual([]);
  });

  it('when the ECS event is lost, the sweep resumes the waiting execution', async () => {
    // Prepare
    await start({ dropEcsEvents: true, sweepEveryMs: 60_000 });

    // Act
    await push('ecr-push-orders-api.json');

    // Assess
    const execution = await onlyExecution();
    expect(execution.status).toBe('SUCCEEDED');
    expect(pipeline.lambdas.invocations.some((i) => i.functionName === 'sweepDeployments')).toBe(true);
    expect(pipeline.lambdas.invocations.some((i) => i.functionName === 'settleDeployment')).toBe(false);
  });

  it('when a failed promotion is redriven after the cause is fixed, only the failed stage re-runs and the revision is reused', async () => {
    // Prepare
    const behaviours: Record<string, VersionBehaviour> = { badc0ffee: { failsHealthCheck: true } };
    await start({ behaviours });
    await push('ecr-push-orders-api-broken.json');
    const failed = await onlyExecution();
    expect(failed.status).toBe('FAILED');
    const registered = pipeline.platform.calls.filter((c) => c.method === 'registerRevision').length;
    delete behaviours.badc0ffee; // the endpoint's dependency is fixed

    // Act
    await pipeline.engine.redriveExecution({ executionArn: failed.executionArn });
    await pipeline.settled();

    // Assess
    const redriven = await pipeline.engine.describeExecution({ executionArn: failed.executionArn });
    expect(redriven.status).toBe('SUCCEEDED');
    expect(redriven.redriveCount).toBe(1);
    expect(pipeline.platform.calls.filter((c) => c.method === 'registerRevision')).toHaveLength(registered);
    expect(servingCommit()).toBe(BROKEN_COMMIT);
  });

  it('when the rollback itself fails, it fails with RollbackFailed; redrives roll back first, then deploy again', async () => {
    // Prepare
    const behaviours: Record<string, VersionBehaviour> = { badc0ffee: { failsHealthCheck: true } };
    await start({ behaviours });
    await push('ecr-push-orders-api.json');
    pipeline.lambdas.failNext('rollBackService', 7, 'Lambda.ServiceException'); // 1 try + 6 retries
    await push('ecr-push-orders-api-broken.json');
    const { executions } = await pipeline.engine.listExecutions({});
    const executionArn = executions.find((e) => e.name.includes('badc0ffee'))!.executionArn;
    const first = await pipeline.engine.describeExecution({ executionArn });

    // Act
    await pipeline.engine.redriveExecution({ executionArn });
    await pipeline.settled();
    const second = await pipeline.engine.describeExecution({ executionArn });
    const commitAfterRollback = servingCommit();
    delete behaviours.badc0ffee;
    await pipeline.engine.redriveExecution({ executionArn });
    await pipeline.settled();
    const third = await pipeline.engine.describeExecution({ executionArn });

    // Assess
    expect(first).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(first.cause).toContain('the rollback failed');
    expect(second).toMatchObject({ status: 'FAILED', error: 'SmokeTestFailed' });
    expect(second.cause).toContain('rolled back');
    expect(commitAfterRollback).toBe(GOOD_COMMIT);
    expect(third).toMatchObject({ status: 'SUCCEEDED', redriveCount: 2 });
    expect(servingCommit()).toBe(BROKEN_COMMIT);
  });

  it('when two pushes arrive close together, they deploy one at a time and the older one never lands over the newer', async () => {
    // Prepare
    await start();
    const older = loadEvent('ecr-push-orders-api.json');
    const newer = loadEvent('ecr-push-orders-api.json');
    const newerCommit = 'c0ffee0000000000000000000000000000000042';
    Object.assign(newer, { id: 'f2a1b3c4-0000-4000-8000-000000000042', time: '2026-11-20T09:16:40Z' });
    Object.assign(newer.detail as Record<string, unknown>, {
      'image-tag': `sha-${newerCommit}`,
      'image-digest': `sha256:${'42'.repeat(32)}`,
    });

    // Act: the newer push's execution starts first, the older one right after, both before either ends
    await pipeline.putEvent(newer);
    await pipeline.putEvent(older);
    await pipeline.settled();

    // Assess
    const { executions } = await pipeline.engine.listExecutions({});
    const outputs = await Promise.all(
      executions.map(async (e) => {
        const d = await pipeline.engine.describeExecution({ executionArn: e.executionArn });
        return { name: e.name, status: d.status, output: JSON.parse(d.output ?? '{}') };
      }),
    );
    expect(outputs).toHaveLength(2);
    expect(outputs.every((o) => o.status === 'SUCCEEDED')).toBe(true);
    const byCommit = (commit: string) =>
      outputs.find((o) => o.output.commit === commit)!.output.deployments[0];
    expect(byCommit(newerCommit)).toMatchObject({ outcome: 'deployed' });
    expect(byCommit(GOOD_COMMIT)).toMatchObject({
      outcome: 'superseded',
      supersededBy: `sha-${newerCommit}`,
    });
    expect(servingCommit()).toBe(newerCommit);
    expect(pipeline.platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(1);
  });

  it('when the endpoints are real local HTTP servers, smoke checks go over HTTP and each target serves what it runs', async () => {
    // Prepare
    await start({ behaviours: { badc0ffee: { failsHealthCheck: true } } });
    const servers = await pipeline.fleet.serve();
    const ppe = servers['https://orders-api.ppe.eu-west-1.example.internal']!;

    // Act
    await push('ecr-push-orders-api.json');
    const healthAfterDeploy = await (await fetch(`${ppe}/health`)).json();
    await push('ecr-push-orders-api-broken.json');
    const healthAfterRollback = await (await fetch(`${ppe}/health`)).json();

    // Assess
    expect(ppe).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(healthAfterDeploy).toEqual({ status: 'ok', commit: GOOD_COMMIT, version: `sha-${GOOD_COMMIT}` });
    expect(healthAfterRollback).toMatchObject({ status: 'ok', commit: GOOD_COMMIT });
    expect(pipeline.fleet.requests.filter((r) => r.status === 503).length).toBeGreaterThan(0);
  });

  it('when three pushes of one service arrive at once behind a fourth that holds the lock, only the newest of them deploys after it', async () => {
    // Prepare
    await start();
    const pushAt = (second: number) => {
      const e = loadEvent('ecr-push-orders-api.json');
      const hex = (0xa0 + second).toString(16);
      Object.assign(e, { id: `queued-${second}`, time: `2026-11-20T09:2${second}:00Z` });
      Object.assign(e.detail as Record<string, unknown>, {
        'image-tag': `sha-${hex.repeat(20)}`,
        'image-digest': `sha256:${hex.repeat(32)}`,
      });
      return e;
    };

    // Act: the first push takes the lock (virtual time only moves once it is idle, deploying), then three
    // pushes arrive at once and wait behind it. Which of four simultaneous pushes wins the lock depends on
    // the order of real I/O; with the holder fixed, every outcome is exact.
    const first = pipeline.putEvent(pushAt(1));
    await pipeline.clock.sleep(1_000);
    await Promise.all([first, ...[2, 3, 4].map((second) => pipeline.putEvent(pushAt(second)))]);
    await pipeline.settled();

    // Assess
    const { executions } = await pipeline.engine.listExecutions({});
    const outcomes = await Promise.all(
      executions.map(async (e) => {
        const output = JSON.parse(
          (await pipeline.engine.describeExecution({ executionArn: e.executionArn })).output!,
        );
        return [output.commit.slice(0, 2), output.deployments[0].outcome];
      }),
    );
    expect(Object.fromEntries(outcomes)).toEqual({
      a1: 'deployed',
      a2: 'superseded',
      a3: 'superseded',
      a4: 'deployed',
    });
    expect(servingCommit()).toBe('a4'.repeat(20));
  });
});
