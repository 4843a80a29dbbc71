import { ManualClock } from '../../../shared/clock';
import { deployService, targetOf } from '../../../shared/use-cases/deploy-service';
import { rollBackService } from '../../../shared/use-cases/roll-back-service';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore } from '../../support/fakes';
import { ppeStageRun } from '../../support/fixtures';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:';
const DEPLOYMENT_MS = 90_000;

describe('rollBackService', () => {
  const run = ppeStageRun();
  const target = targetOf(run);
  let clock: ManualClock;
  let platform: LocalContainerPlatform;
  let stageRecords: InMemoryStageRecordStore;
  let revisions: { beforePrevious: string; previous: string; deployed: string };

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
    platform = new LocalContainerPlatform({ clock, deploymentMs: DEPLOYMENT_MS });
    stageRecords = new InMemoryStageRecordStore();
    // revision 1, then an earlier release moved the service to revision 2, then this execution deployed 3
    const beforePrevious = platform.seedService(target, { name: 'app', image: REGISTRY + '1'.repeat(64) });
    const earlier = await deployService(ppeStageRun({ executionName: 'push-orders-api-earlier' }), {
      platform,
      stageRecords,
      clock,
    });
    await clock.advance(DEPLOYMENT_MS);
    const deployed = await deployService(run, { platform, stageRecords, clock });
    revisions = { beforePrevious, previous: earlier.taskDefinitionArn, deployed: deployed.taskDefinitionArn };
  });

  afterEach(() => platform.stop());

  it('when the execution deployed, it restores exactly the revision recorded before its deploy', async () => {
    // Prepare
    expect((await platform.describeService(target)).taskDefinitionArn).toBe(revisions.deployed);
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(run, { platform, stageRecords });

    // Assess
    const updates = platform.calls.slice(callsBefore).filter((c) => c.method === 'updateService');
    expect(updates).toEqual([{ method: 'updateService', args: [target, revisions.previous] }]);
    expect(revisions.previous).not.toBe(revisions.beforePrevious);
    expect(result).toEqual({
      rolledBack: true,
      taskDefinitionArn: revisions.previous,
      deploymentId: expect.stringMatching(/^ecs-svc\//),
      reason: 'restored orders-api:2',
      summary: 'failure (in ppe/eu-west-1; rolled back: restored orders-api:2)',
    });
    const service = await platform.describeService(target);
    expect(service.taskDefinitionArn).toBe(revisions.previous);
    expect(service.deployments[0]).toMatchObject({ id: result.deploymentId, status: 'PRIMARY' });
  });

  it('when nothing was recorded for the execution, it changes nothing and says why', async () => {
    // Prepare
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(
      { ...run, executionName: 'push-orders-api-never-deployed', failure: { Error: 'States.Timeout' } },
      { platform, stageRecords },
    );

    // Assess
    expect(result).toEqual({
      rolledBack: false,
      reason: 'nothing to roll back: this execution never changed the service',
      summary:
        'States.Timeout: no cause given (in ppe/eu-west-1; nothing to roll back: this execution never changed the service)',
    });
    expect(platform.calls.slice(callsBefore)).toEqual([]);
  });

  it('when an earlier attempt died after UpdateService, it hands back that rollout for the stage to wait for', async () => {
    // Prepare: the first attempt updated the service (the Lambda then died); the rollout is still going
    const first = await rollBackService(run, { platform, stageRecords });
    await clock.advance(DEPLOYMENT_MS - 1);
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(run, { platform, stageRecords });

    // Assess
    expect(platform.calls.slice(callsBefore).map((c) => c.method)).toEqual(['describeService']);
    expect(result).toEqual({
      rolledBack: true,
      taskDefinitionArn: revisions.previous,
      deploymentId: first.deploymentId,
      reason: `ECS is restoring orders-api:2 in deployment ${first.deploymentId} (circuit breaker or an earlier attempt)`,
      summary: `failure (in ppe/eu-west-1; rolled back: ECS is restoring orders-api:2 in deployment ${first.deploymentId} (circuit breaker or an earlier attempt))`,
    });
  });

  it('when the service already runs the previous revision, it reports the rollback without updating', async () => {
    // Prepare: an earlier rollback attempt restored it already, and its rollout completed
    await rollBackService(run, { platform, stageRecords });
    await clock.advance(DEPLOYMENT_MS);
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(run, { platform, stageRecords });

    // Assess
    expect(platform.calls.slice(callsBefore).map((c) => c.method)).toEqual(['describeService']);
    expect(result).toEqual({
      rolledBack: true,
      taskDefinitionArn: revisions.previous,
      reason: 'service already runs orders-api:2 (ECS circuit breaker or an earlier attempt restored it)',
      summary:
        'failure (in ppe/eu-west-1; rolled back: service already runs orders-api:2 ' +
        '(ECS circuit breaker or an earlier attempt restored it))',
    });
  });

  it("when ECS's circuit breaker is still rolling back, it returns that deployment to wait for", async () => {
    // Prepare: a broken image; the circuit breaker fails its deployment and starts restoring the last good one
    platform.stop();
    platform = new LocalContainerPlatform({
      clock,
      deploymentMs: DEPLOYMENT_MS,
      behaviourOf: (container) => ({ failsToStart: container.image.endsWith('f'.repeat(64)) }),
    });
    const seeded = platform.seedService(target, { name: 'app', image: REGISTRY + '1'.repeat(64) });
    const broken = ppeStageRun({
      executionName: 'push-orders-api-broken',
      image: { ...run.image, digest: `sha256:${'f'.repeat(64)}` },
    });
    await deployService(broken, { platform, stageRecords, clock });
    await clock.advance(DEPLOYMENT_MS);
    const service = await platform.describeService(target);
    const restoring = service.deployments.find((d) => d.status === 'PRIMARY')!;
    expect(restoring).toMatchObject({ taskDefinitionArn: seeded, rolloutState: 'IN_PROGRESS' });
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(broken, { platform, stageRecords });

    // Assess
    expect(platform.calls.slice(callsBefore).map((c) => c.method)).toEqual(['describeService']);
    expect(result).toMatchObject({
      rolledBack: true,
      taskDefinitionArn: seeded,
      deploymentId: restoring.id,
    });
    expect(result.reason).toContain(`ECS is restoring orders-api:1 in deployment ${restoring.id}`);
  });

  it('when the failure cause is a Lambda error, the summary carries its message, not the JSON', async () => {
    // Prepare
    const message =
      '1 of 2 smoke checks failed in ppe/eu-west-1: health (https://x/health): expected status 200, got 503';
    const failure = {
      Error: 'SmokeTestFailed',
      Cause: JSON.stringify({
        errorType: 'SmokeTestFailed',
        errorMessage: message,
        trace: ['at runSmokeChecks'],
      }),
    };

    // Act
    const result = await rollBackService({ ...run, failure }, { platform, stageRecords });

    // Assess
    expect(result.summary).toBe(
      `SmokeTestFailed: ${message} (in ppe/eu-west-1; rolled back: restored orders-api:2)`,
    );
  });

  it('when the failure cause is plain text, the summary carries it as is', async () => {
    // Prepare
    const failure = { Error: 'States.TaskFailed', Cause: 'The task timed out' };

    // Act
    const result = await rollBackService({ ...run, failure }, { platform, stageRecords });

    // Assess
    expect(result.summary).toBe(
      'States.TaskFailed: The task timed out (in ppe/eu-west-1; rolled back: restored orders-api:2)',
    );
  });

  it('when another execution has deployed over this one since, it leaves the service alone and says why', async () => {
    // Prepare: a later push deployed revision 4 after this execution's failed rollback (its lock lease ran out)
    await clock.advance(DEPLOYMENT_MS);
    const later = await deployService(ppeStageRun({ executionName: 'push-orders-api-later' }), {
      platform,
      stageRecords,
      clock,
    });
    const callsBefore = platform.calls.length;

    // Act
    const result = await rollBackService(run, { platform, stageRecords });

    // Assess
    expect(platform.calls.slice(callsBefore).filter((c) => c.method === 'updateService')).toEqual([]);
    expect((await platform.describeService(target)).taskDefinitionArn).toBe(later.taskDefinitionArn);
    expect(result).toEqual({
      rolledBack: false,
      reason:
        'nothing to roll back: the service has moved on to orders-api:4, deployed by push-orders-api-later',
      summary:
        'failure (in ppe/eu-west-1; nothing to roll back: the service has moved on to orders-api:4, deployed by push-orders-api-later)',
    });
  });
});
