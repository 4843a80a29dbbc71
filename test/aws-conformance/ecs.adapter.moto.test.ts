import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { PipelineMisconfiguredError, UnsupportedDeploymentStrategyError } from '../../shared/domain/errors';
import type { EcsTarget } from '../../shared/ports/deployment';
import { ManualClock } from '../../shared/clock';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { deployService } from '../../shared/use-cases/deploy-service';
import { rollBackService } from '../../shared/use-cases/roll-back-service';
import { InMemoryStageRecordStore } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The ECS adapter against moto: every request our adapter sends must be one moto's model of ECS accepts,
 * and every field it reads back must be where moto (and AWS's documentation) puts it. What moto does not
 * implement or answers differently (service deployment history, a new deployment per UpdateService,
 * ListTaskDefinitions' sort and page size) is listed in docs/aws-conformance.md and stays covered by
 * test/shared/aws/ecs.adapter.test.ts.
 */
const REGION = 'eu-west-1';
const ROLE = (name: string) => `arn:aws:iam::${MOTO_ACCOUNT}:role/${name}`;
const SECRET = (name: string) => `arn:aws:secretsmanager:${REGION}:${MOTO_ACCOUNT}:secret:${name}`;
const IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/orders-api@sha256:${'1'.repeat(64)}`;

let moto: MotoServer;
let ecs: ECSClient;
let platform: EcsContainerPlatform;
beforeAll(async () => {
  moto = await startMotoServer();
  // Builds and reads back what the tests need; only the adapter's own client counts as checked.
  ecs = new ECSClient(moto.clientConfig(REGION));
  platform = new EcsContainerPlatform({
    clients: moto.adapterClient('ecs.adapter', ECSClient, REGION),
  });
}, 90_000);
afterAll(() => moto?.stop());

/** A revision as teams register them: per-environment variables, secrets and roles, and tags. */
function revisionOf(family: string, environment: string): RegisterTaskDefinitionCommandInput {
  return {
    family,
    taskRoleArn: ROLE(`${family}-${environment}-task`),
    executionRoleArn: ROLE(`${family}-${environment}-exec`),
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: 'app',
        image: `${MOTO_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${family}:base`,
        essential: true,
        environment: [
          { name: 'APP_ENV', value: environment },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: SECRET(`${family}/${environment}/db`) }],
      },
      {
        name: 'log-router',
        image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
        essential: false,
      },
    ],
    tags: [
      { key: 'team', value: 'orders' },
      { key: 'environment', value: environment },
    ],
  };
}

/** A cluster and a rolling-update service in it that runs a fresh revision of `family` for `environment`. */
async function serviceRunning(
  cluster: string,
  family: string,
  environment = cluster,
  extra: { deploymentController?: 'ECS' | 'CODE_DEPLOY' } = {},
): Promise<{ target: EcsTarget; taskDefinitionArn: string }> {
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand(revisionOf(family, environment)),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: family,
      taskDefinition: taskDefinition!.taskDefinitionArn,
      desiredCount: 2,
      ...(extra.deploymentController && { deploymentController: { type: extra.deploymentController } }),
    }),
  );
  return {
    target: { region: REGION, cluster, service: family },
    taskDefinitionArn: taskDefinition!.taskDefinitionArn!,
  };
}

async function describedTaskDefinition(arn: string) {
  return ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }));
}

async function describedService(target: EcsTarget) {
  const { services } = await ecs.send(
    new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] }),
  );
  return services![0]!;
}

describe('ECS adapter against moto', () => {
  describe('describeService and describeTaskDefinition', () => {
    it('when the service runs, it reads its revision and its PRIMARY deployment where ECS puts them', async () => {
      // Prepare
      const { target, taskDefinitionArn } = await serviceRunning('describe', 'describe-api');

      // Act
      const view = await platform.describeService(target);

      // Assess
      expect(view.taskDefinitionArn).toBe(taskDefinitionArn);
      expect(view.deployments).toEqual([
        expect.objectContaining({
          id: expect.stringMatching(/^ecs-svc\//) as string,
          status: 'PRIMARY',
          taskDefinitionArn,
          rolloutState: 'IN_PROGRESS',
          createdAt: expect.any(Number) as number,
        }),
      ]);
    });

    it('when the revision exists, it maps every container with its environment as a record', async () => {
      // Prepare
      const { taskDefinitionArn } = await serviceRunning('describe-td', 'describe-td-api', 'staging');

      // Act
      const view = await platform.describeTaskDefinition(REGION, taskDefinitionArn);

      // Assess
      expect(view).toEqual({
        arn: taskDefinitionArn,
        family: 'describe-td-api',
        containers: [
          {
            name: 'app',
            image: `${MOTO_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/describe-td-api:base`,
            environment: { APP_ENV: 'staging', LOG_LEVEL: 'info' },
          },
          {
            name: 'log-router',
            image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
            environment: {},
          },
        ],
      });
    });

    it('when the revision does not exist, the ClientException ECS answers becomes PipelineMisconfigured', async () => {
      // Act
      const described = platform.describeTaskDefinition(
        REGION,
        `arn:aws:ecs:${REGION}:${MOTO_ACCOUNT}:task-definition/gone:9`,
      );

      // Assess
      await expect(described).rejects.toThrow(PipelineMisconfiguredError);
      await expect(described).rejects.toThrow(/task-definition\/gone:9 cannot be described in eu-west-1/);
    });

    it('when the cluster does not exist, ClusterNotFoundException becomes PipelineMisconfigured naming it', async () => {
      // Act
      const described = platform.describeService({ region: REGION, cluster: 'nowhere', service: 'api' });

      // Assess
      await expect(described).rejects.toThrow(PipelineMisconfiguredError);
      await expect(described).rejects.toThrow('ECS cluster nowhere does not exist in eu-west-1');
    });

    it('when the service is not in the cluster, the MISSING failure becomes PipelineMisconfigured', async () => {
      // Prepare
      await ecs.send(new CreateClusterCommand({ clusterName: 'empty' }));

      // Act
      const described = platform.describeService({ region: REGION, cluster: 'empty', service: 'api' });

      // Assess
      await expect(described).rejects.toThrow(PipelineMisconfiguredError);
      await expect(described).rejects.toThrow(
        /api in cluster empty \(eu-west-1\) cannot be described \(MISSING/,
      );
    });

    it('when the service deploys with CodeDeploy, it refuses it with UnsupportedDeploymentStrategy', async () => {
      // Prepare
      const { target } = await serviceRunning('bluegreen', 'bluegreen-api', 'prod', {
        deploymentController: 'CODE_DEPLOY',
      });

      // Act
      const described = platform.describeService(target);

      // Assess
      await expect(described).rejects.toThrow(UnsupportedDeploymentStrategyError);
      await expect(described).rejects.toThrow(/CODE_DEPLOY deployment controller/);
    });
  });

  describe('registerRevision', () => {
    it('when it copies a revision, ECS accepts the copy and holds it with the new image, merged environment, secrets, roles and tags', async () => {
      // Prepare
      const { taskDefinitionArn } = await serviceRunning('register', 'register-api', 'staging');

      // Act
      const copy = await platform.registerRevision(REGION, taskDefinitionArn, 'app', {
        image: IMAGE,
        environment: { LOG_LEVEL: 'debug', [DEPLOYED_ENV.version]: 'sha-4b825dc' },
      });

      // Assess
      expect(copy.arn).toBe(`arn:aws:ecs:${REGION}:${MOTO_ACCOUNT}:task-definition/register-api:2`);
      const held = await describedTaskDefinition(copy.arn);
      const [app, logRouter] = held.taskDefinition!.containerDefinitions!;
      expect(app).toMatchObject({
        name: 'app',
        image: IMAGE,
        environment: [
          { name: 'APP_ENV', value: 'staging' },
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: DEPLOYED_ENV.version, value: 'sha-4b825dc' },
        ],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: SECRET('register-api/staging/db') }],
      });
      expect(logRouter).toMatchObject({ name: 'log-router', essential: false });
      expect(held.taskDefinition).toMatchObject({
        family: 'register-api',
        taskRoleArn: ROLE('register-api-staging-task'),
        executionRoleArn: ROLE('register-api-staging-exec'),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        status: 'ACTIVE',
      });
      expect(held.tags).toEqual([
        { key: 'team', value: 'orders' },
        { key: 'environment', value: 'staging' },
      ]);
    });

    it('when the container is not in the revision, it throws PipelineMisconfigured and registers nothing', async () => {
      // Prepare
      const { taskDefinitionArn } = await serviceRunning('no-container', 'no-container-api');

      // Act
      const registered = platform.registerRevision(REGION, taskDefinitionArn, 'web', {
        image: IMAGE,
        environment: {},
      });

      // Assess
      await expect(registered).rejects.toThrow(PipelineMisconfiguredError);
      await expect(registered).rejects.toThrow('(it has: app, log-router)');
      const { taskDefinitionArns } = await ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: 'no-container-api' }),
      );
      expect(taskDefinitionArns).toEqual([taskDefinitionArn]);
    });

    it('when staging and production share a family, each stage deploys a copy of its own revision (environment, secrets, roles)', async () => {
      // Prepare
      const family = 'shared-family-api';
      const staging = await serviceRunning('staging', family, 'staging');
      const { taskDefinition } = await ecs.send(
        new RegisterTaskDefinitionCommand(revisionOf(family, 'production')),
      );
      await ecs.send(new CreateClusterCommand({ clusterName: 'production' }));
      await ecs.send(
        new CreateServiceCommand({
          cluster: 'production',
          serviceName: family,
          taskDefinition: taskDefinition!.taskDefinitionArn,
          desiredCount: 2,
        }),
      );
      const clock = new ManualClock(Date.UTC(2026, 10, 30, 9, 0));
      const deps = { platform, stageRecords: new InMemoryStageRecordStore(), clock };
      const run = ppeStageRun();
      const stage = (environment: string) => ({
        ...run.stage,
        environment,
        cluster: environment,
        service: family,
      });

      // Act
      const toStaging = await deployService({ ...run, stage: stage('staging') }, deps);
      const toProduction = await deployService({ ...run, stage: stage('production') }, deps);

      // Assess
      expect(toStaging.previousTaskDefinitionArn).toBe(staging.taskDefinitionArn);
      expect(toProduction.previousTaskDefinitionArn).toBe(taskDefinition!.taskDefinitionArn);
      expect(toProduction.taskDefinitionArn).not.toBe(toStaging.taskDefinitionArn);
      const production = (await describedTaskDefinition(toProduction.taskDefinitionArn)).taskDefinition!;
      expect(production.taskRoleArn).toBe(ROLE(`${family}-production-task`));
      expect(production.containerDefinitions![0]!.secrets).toEqual([
        { name: 'DB_PASSWORD', valueFrom: SECRET(`${family}/production/db`) },
      ]);
      expect(production.containerDefinitions![0]!.environment).toEqual(
        expect.arrayContaining([
          { name: 'APP_ENV', value: 'production' },
          { name: DEPLOYED_ENV.stage, value: 'production/eu-west-1' },
        ]),
      );
      expect(
        (await describedService({ region: REGION, cluster: 'production', service: family })).taskDefinition,
      ).toBe(toProduction.taskDefinitionArn);
    });
  });

  describe('updateService', () => {
    it("when it points the service at a revision, moto holds the revision and the service's own settings with the circuit breaker on", async () => {
      // Prepare
      const { target, taskDefinitionArn } = await serviceRunning('update', 'update-api');
      const copy = await platform.registerRevision(REGION, taskDefinitionArn, 'app', {
        image: IMAGE,
        environment: {},
      });

      // Act
      const { deploymentId } = await platform.updateService(target, copy.arn);

      // Assess
      const service = await describedService(target);
      expect(service.taskDefinition).toBe(copy.arn);
      expect(service.deploymentConfiguration?.deploymentCircuitBreaker).toEqual({
        enable: true,
        rollback: true,
      });
      expect(service.deployments?.find((d) => d.status === 'PRIMARY')?.id).toBe(deploymentId);
    });

    it('when the service already has deployment settings, the resend keeps them (sent back as ECS described them)', async () => {
      // Prepare
      const { target, taskDefinitionArn } = await serviceRunning('settings', 'settings-api');
      await platform.updateService(target, taskDefinitionArn); // moto keeps deploymentConfiguration from UpdateService only
      const tuned = { maximumPercent: 150, minimumHealthyPercent: 50 };
      await ecs.send(
        new UpdateServiceCommand({
          cluster: target.cluster,
          service: target.service,
          deploymentConfiguration: { ...tuned, deploymentCircuitBreaker: { enable: false, rollback: false } },
        }),
      );

      // Act
      await platform.updateService(target, taskDefinitionArn);

      // Assess
      expect((await describedService(target)).deploymentConfiguration).toEqual({
        ...tuned,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      });
    });

    it('when the service does not exist, ServiceNotFoundException becomes PipelineMisconfigured', async () => {
      // Prepare
      await ecs.send(new CreateClusterCommand({ clusterName: 'update-missing' }));
      const { taskDefinitionArn } = await serviceRunning('update-missing-td', 'update-missing-api');

      // Act
      const updated = platform.updateService(
        { region: REGION, cluster: 'update-missing', service: 'ghost' },
        taskDefinitionArn,
      );

      // Assess
      await expect(updated).rejects.toThrow(PipelineMisconfiguredError);
    });
  });

  describe('roll back', () => {
    it('when a stage failed after its deploy, the rollback points the service at the recorded previous revision again', async () => {
      // Prepare
      const family = 'rollback-api';
      const { taskDefinitionArn: previous } = await serviceRunning('rollback', family, 'ppe');
      const clock = new ManualClock(Date.UTC(2026, 10, 30, 9, 0));
      const stageRecords = new InMemoryStageRecordStore();
      const run = ppeStageRun();
      const stageRun = { ...run, stage: { ...run.stage, cluster: 'rollback', service: family } };
      const deployed = await deployService(stageRun, { platform, stageRecords, clock });

      // Act
      const rollback = await rollBackService(
        { ...stageRun, failure: { Error: 'SmokeTestFailed', Cause: 'GET /health answered 503' } },
        { platform, stageRecords },
      );

      // Assess
      expect(deployed.previousTaskDefinitionArn).toBe(previous);
      expect(rollback).toMatchObject({ rolledBack: true, taskDefinitionArn: previous });
      expect(rollback.deploymentId).toEqual(expect.stringMatching(/^ecs-svc\//));
      expect((await describedService(stageRun.stage)).taskDefinition).toBe(previous);
    });
  });

  describe('latestTaskDefinition', () => {
    it('when the family has one ACTIVE revision, ECS accepts the filtered, sorted request and it is found', async () => {
      // Prepare
      const { taskDefinitionArn } = await serviceRunning('latest', 'latest-api');

      // Act
      const latest = await platform.latestTaskDefinition(REGION, 'latest-api');

      // Assess
      expect(latest?.arn).toBe(taskDefinitionArn);
    });

    it('when the family has no revision at all, it returns undefined', async () => {
      // Act
      const latest = await platform.latestTaskDefinition(REGION, 'never-registered');

      // Assess
      expect(latest).toBeUndefined();
    });
  });

  describe('regional clients', () => {
    it('when given a client factory, it asks the region of the target: a service in eu-west-1 is not in us-east-1', async () => {
      // Prepare
      const { target } = await serviceRunning('regional', 'regional-api');
      const perRegion = new EcsContainerPlatform({
        clients: (region) => moto.adapterClient('ecs.adapter', ECSClient, region),
      });

      // Act
      const here = await perRegion.describeService(target);
      const elsewhere = perRegion.describeService({ ...target, region: 'us-east-1' });

      // Assess
      expect(here.taskDefinitionArn).toContain(':eu-west-1:');
      await expect(elsewhere).rejects.toThrow('ECS cluster regional does not exist in us-east-1');
    });
  });
});
