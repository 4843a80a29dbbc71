import { ManualClock } from '../../../shared/clock';
import {
  AwsTransientError,
  DeploymentFailedError,
  PipelineMisconfiguredError,
} from '../../../shared/domain/errors';
import { deployService, targetOf, type DeployServiceDeps } from '../../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore, overriding } from '../../support/fakes';
import { ppeStageRun } from '../../support/fixtures';

const OLD_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64);
const IMAGE =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a';

const methods = (platform: LocalContainerPlatform, from = 0) =>
  platform.calls.slice(from).map((c) => c.method);

describe('deployService', () => {
  let clock: ManualClock;
  let platform: LocalContainerPlatform;
  let stageRecords: InMemoryStageRecordStore;
  let deps: DeployServiceDeps;
  let seeded: string;
  const run = ppeStageRun();

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
    platform = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
    seeded = platform.seedService(targetOf(run), { name: 'app', image: OLD_IMAGE });
    stageRecords = new InMemoryStageRecordStore();
    deps = { platform, stageRecords, clock };
  });

  afterEach(() => platform.stop());

  it('when the service runs an older revision, it registers one digest-pinned revision and updates the service', async () => {
    // Prepare
    const startedAt = clock.now();

    // Act
    const result = await deployService(run, deps);

    // Assess
    const registrations = platform.calls.filter((c) => c.method === 'registerRevision');
    expect(registrations).toEqual([
      {
        method: 'registerRevision',
        args: [
          'eu-west-1',
          seeded,
          'app',
          {
            image: IMAGE,
            environment: {
              PIPELINE_VERSION: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
              PIPELINE_COMMIT: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
              PIPELINE_EXECUTION: run.executionName,
              PIPELINE_STAGE: 'ppe/eu-west-1',
            },
          },
        ],
      },
    ]);
    const updates = platform.calls.filter((c) => c.method === 'updateService');
    expect(updates).toEqual([{ method: 'updateService', args: [targetOf(run), result.taskDefinitionArn] }]);
    expect(result).toEqual({
      previousTaskDefinitionArn: seeded,
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2',
      deploymentId: expect.stringMatching(/^ecs-svc\//),
      startedAt,
    });
    const service = await platform.describeService(targetOf(run));
    expect(service.taskDefinitionArn).toBe(result.taskDefinitionArn);
    expect(service.deployments[0]).toMatchObject({ id: result.deploymentId, status: 'PRIMARY' });
    expect(await stageRecords.previousRevision({ ...run, ...run.stage })).toBe(seeded);
  });

  it('when the same execution runs the step again, it registers nothing new and updates nothing', async () => {
    // Prepare
    const first = await deployService(run, deps);
    const callsBefore = platform.calls.length;

    // Act
    const again = await deployService(run, deps);

    // Assess
    expect(methods(platform, callsBefore)).not.toContain('registerRevision');
    expect(methods(platform, callsBefore)).not.toContain('updateService');
    expect(again.taskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(again.deploymentId).toBe(first.deploymentId);
  });

  it('when the step runs again after the update completed, it still reports the original previous revision', async () => {
    // Prepare
    const first = await deployService(run, deps);
    await clock.advance(120_000); // the ECS deployment reaches steady state
    expect((await platform.describeService(targetOf(run))).taskDefinitionArn).toBe(first.taskDefinitionArn);

    // Act
    const again = await deployService(run, deps);

    // Assess
    expect(again.previousTaskDefinitionArn).toBe(seeded);
    expect(again.taskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(again.deploymentId).toBe(first.deploymentId);
    expect(platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(1);
  });

  it('when the first attempt registered the revision but failed before the update, the retry reuses the revision', async () => {
    // Prepare: the update call of the first attempt is throttled
    const throttledUpdate = overriding(platform, {
      updateService: async () => {
        throw new AwsTransientError('ECS updateService: Rate exceeded (ThrottlingException)');
      },
    });
    await expect(deployService(run, { ...deps, platform: throttledUpdate })).rejects.toThrow(
      AwsTransientError,
    );
    expect(methods(platform)).toContain('registerRevision');

    // Act
    const retry = await deployService(run, deps);

    // Assess
    expect(platform.calls.filter((c) => c.method === 'registerRevision')).toHaveLength(1);
    expect(platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(1);
    expect(retry.taskDefinitionArn).toBe('arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2');
    expect(retry.previousTaskDefinitionArn).toBe(seeded);
  });

  it('when the Lambda dies right after ECS took the update, the stage record already names the revision sent', async () => {
    // Prepare: ECS applies the update, then the step's process dies before it returns
    const dyingAfterUpdate = overriding(platform, {
      updateService: async (target, arn) => {
        await platform.updateService(target, arn);
        throw new Error('Runtime exited');
      },
    });
    const key = { executionName: run.executionName, environment: 'ppe', region: 'eu-west-1' };

    // Act
    const act = deployService(run, { ...deps, platform: dyingAfterUpdate });

    // Assess
    await expect(act).rejects.toThrow('Runtime exited');
    const sent = 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2';
    expect((await platform.describeService(targetOf(run))).taskDefinitionArn).toBe(sent);
    expect(await stageRecords.deployedRevision(key)).toBe(sent);
  });

  it('when noting the revision fails, it does not call UpdateService (nothing reaches ECS unrecorded)', async () => {
    // Prepare
    const failing = Object.assign(new InMemoryStageRecordStore(), {
      rememberDeployedRevision: async () => {
        throw new AwsTransientError('DynamoDB PutItem throttled');
      },
    });

    // Act
    const act = deployService(run, { ...deps, stageRecords: failing });

    // Assess
    await expect(act).rejects.toThrow(AwsTransientError);
    expect(methods(platform)).not.toContain('updateService');
  });

  it('when another execution deploys the same image, it registers its own revision', async () => {
    // Prepare
    const first = await deployService(run, deps);

    // Act
    const other = await deployService(ppeStageRun({ executionName: 'push-orders-api-redeploy' }), deps);

    // Assess
    expect(other.taskDefinitionArn).not.toBe(first.taskDefinitionArn);
    expect(other.previousTaskDefinitionArn).toBe(first.taskDefinitionArn);
    expect(platform.calls.filter((c) => c.method === 'updateService')).toHaveLength(2);
  });

  it("when another stage of this execution registered the same image in a shared family, it registers the stage's own", async () => {
    // Prepare: staging and prod in one region, one family, each with its own revision
    const staging = { ...run.stage, environment: 'staging', cluster: 'staging' };
    const prod = { ...run.stage, environment: 'prod', cluster: 'prod' };
    platform.seedService(
      targetOf({ stage: staging }),
      { name: 'app', image: OLD_IMAGE },
      { family: 'orders-api' },
    );
    const prodOwn = platform.seedService(
      targetOf({ stage: prod }),
      { name: 'app', image: OLD_IMAGE, environment: { APP_ENV: 'prod' } },
      { family: 'orders-api', taskRoleArn: 'arn:aws:iam::000000000000:role/prod-task' },
    );
    const releaseRun = (stage: typeof run.stage) => ({ ...run, executionName: 'release-v1', stage });
    const stagingDeploy = await deployService(releaseRun(staging), deps);

    // Act
    const prodDeploy = await deployService(releaseRun(prod), deps);

    // Assess
    expect(prodDeploy.taskDefinitionArn).not.toBe(stagingDeploy.taskDefinitionArn);
    expect(prodDeploy.previousTaskDefinitionArn).toBe(prodOwn);
    const registered = await platform.describeTaskDefinition('eu-west-1', prodDeploy.taskDefinitionArn);
    expect(registered).toMatchObject({ taskRoleArn: 'arn:aws:iam::000000000000:role/prod-task' });
    expect(registered.containers[0]?.environment).toMatchObject({
      APP_ENV: 'prod',
      PIPELINE_STAGE: 'prod/eu-west-1',
    });
  });

  it('when the current revision has no container of the configured name, it throws PipelineMisconfigured naming it', async () => {
    // Prepare
    const web = { ...run.stage, service: 'orders-web' };
    platform.seedService(targetOf({ stage: web }), { name: 'web', image: OLD_IMAGE });

    // Act
    const deploy = deployService({ ...run, stage: web }, deps);

    // Assess
    const error = await deploy.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect((error as Error).name).toBe('PipelineMisconfigured');
    expect((error as Error).message).toMatch(
      /has no container "app"; fix services\.orders-api\.environments\.ppe\.regions\.eu-west-1\.container/,
    );
    expect(methods(platform)).not.toContain('registerRevision');
  });

  it('when ECS throttles the call, it surfaces AwsTransientError and changes nothing', async () => {
    // Prepare
    platform.throttleNext(1);

    // Act
    const deploy = deployService(run, deps);

    // Assess
    await expect(deploy).rejects.toMatchObject({ name: 'AwsTransientError' });
    expect(methods(platform)).toEqual(['describeService']);
    expect(await stageRecords.previousRevision({ ...run, ...run.stage })).toBeUndefined();
  });

  it('when the ECS deployment of this revision already failed, it throws DeploymentFailed with the reason', async () => {
    // Prepare: the service runs the new revision, but its PRIMARY deployment failed
    const first = await deployService(run, deps);
    const failing = overriding(platform, {
      describeService: async () => ({
        taskDefinitionArn: first.taskDefinitionArn,
        deployments: [
          {
            id: first.deploymentId,
            taskDefinitionArn: first.taskDefinitionArn,
            status: 'PRIMARY',
            rolloutState: 'FAILED',
            rolloutStateReason: 'tasks failed to start',
          },
        ],
      }),
    });

    // Act
    const retry = deployService(run, { ...deps, platform: failing });

    // Assess
    const error = await retry.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeploymentFailedError);
    expect((error as Error).message).toBe(
      `ECS deployment ${first.deploymentId} failed: tasks failed to start`,
    );
  });
});
