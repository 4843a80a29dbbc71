import {
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  ServerException,
  UpdateServiceCommand,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsContainerPlatform } from '../../../shared/aws/ecs.adapter';
import {
  AwsTransientError,
  PipelineMisconfiguredError,
  UnsupportedDeploymentStrategyError,
} from '../../../shared/domain/errors';
import type { EcsTarget } from '../../../shared/ports/deployment';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

const REGION = 'eu-west-1';
const TARGET: EcsTarget = { region: REGION, cluster: 'prod', service: 'api' };
const TD_ARN = (revision: number, family = 'api'): string =>
  `arn:aws:ecs:${REGION}:123456789012:task-definition/${family}:${revision}`;

/** A described task definition with every registrable field set and the read-only ones ECS adds. */
function describedTaskDefinition(): TaskDefinition {
  return {
    taskDefinitionArn: TD_ARN(7),
    family: 'api',
    revision: 7,
    status: 'ACTIVE',
    taskRoleArn: 'arn:aws:iam::123456789012:role/api-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/api-exec',
    networkMode: 'awsvpc',
    containerDefinitions: [
      {
        name: 'app',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:old',
        essential: true,
        environment: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'PIPELINE_VERSION', value: '1.0.0' },
        ],
        secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' }],
      },
      { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1', essential: false },
    ],
    volumes: [{ name: 'tmp' }],
    placementConstraints: [],
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    pidMode: 'task',
    ipcMode: 'none',
    proxyConfiguration: { containerName: 'envoy', type: 'APPMESH', properties: [] },
    inferenceAccelerators: [],
    ephemeralStorage: { sizeInGiB: 30 },
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    enableFaultInjection: false,
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
    compatibilities: ['EC2', 'FARGATE'],
    registeredAt: new Date('2026-01-01T00:00:00Z'),
    registeredBy: 'arn:aws:sts::123456789012:assumed-role/deployer/ci',
    deregisteredAt: new Date('2026-01-02T00:00:00Z'),
  };
}

function activeService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'api',
    status: 'ACTIVE',
    taskDefinition: TD_ARN(7),
    deploymentController: { type: 'ECS' },
    deployments: [
      {
        id: 'ecs-svc/111',
        status: 'PRIMARY',
        taskDefinition: TD_ARN(8),
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: 'ECS deployment ecs-svc/111 in progress.',
      },
      { id: 'ecs-svc/100', status: 'ACTIVE', taskDefinition: TD_ARN(7), rolloutState: 'COMPLETED' },
    ],
    ...overrides,
  };
}

function throttling(): ECSServiceException {
  return unmodelledSdkError(ECSServiceException, 'ThrottlingException', {
    requestId: 'req-1',
    message: 'Rate exceeded',
  });
}

describe('EcsContainerPlatform', () => {
  const ecs = mockClient(ECSClient);
  const platform = new EcsContainerPlatform({ clients: () => new ECSClient({ region: REGION }) });

  beforeEach(() => ecs.reset());

  describe('describeService', () => {
    it('when the service exists, it asks for that service in that cluster and maps its deployments', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [activeService()], failures: [] });

      // Act
      const view = await platform.describeService(TARGET);

      // Assess
      expect(ecs).toReceiveCommandWith(DescribeServicesCommand, { cluster: 'prod', services: ['api'] });
      expect(view).toEqual({
        taskDefinitionArn: TD_ARN(7),
        deployments: [
          {
            id: 'ecs-svc/111',
            taskDefinitionArn: TD_ARN(8),
            status: 'PRIMARY',
            rolloutState: 'IN_PROGRESS',
            rolloutStateReason: 'ECS deployment ecs-svc/111 in progress.',
          },
          { id: 'ecs-svc/100', taskDefinitionArn: TD_ARN(7), status: 'ACTIVE', rolloutState: 'COMPLETED' },
        ],
      });
    });

    it('when ECS reports the service MISSING, it throws PipelineMisconfigured naming the service', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [],
        failures: [{ arn: `arn:aws:ecs:${REGION}:123456789012:service/prod/api`, reason: 'MISSING' }],
      });

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(
        /api in cluster prod \(eu-west-1\).*MISSING.*pipeline\.config\.yml/,
      );
    });

    it('when the cluster does not exist, it throws PipelineMisconfigured naming the cluster', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(sdkError(ClusterNotFoundException, { message: 'Cluster not found.' }));

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(/cluster prod does not exist in eu-west-1/);
    });

    it('when the service is INACTIVE (deleted), it throws PipelineMisconfigured', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [activeService({ status: 'INACTIVE' })] });

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
    });

    it('when the service deploys with CodeDeploy, it throws UnsupportedDeploymentStrategy', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .resolves({ services: [activeService({ deploymentController: { type: 'CODE_DEPLOY' } })] });

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(UnsupportedDeploymentStrategyError);
      await expect(result).rejects.toThrow(/CODE_DEPLOY deployment controller/);
    });

    it('when a deployment has no rolloutState, it reports it IN_PROGRESS rather than COMPLETED', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          activeService({ deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD_ARN(7) }] }),
        ],
      });

      // Act
      const view = await platform.describeService(TARGET);

      // Assess
      expect(view.deployments).toEqual([
        { id: 'ecs-svc/1', taskDefinitionArn: TD_ARN(7), status: 'PRIMARY', rolloutState: 'IN_PROGRESS' },
      ]);
    });

    it('when ECS throttles, it throws AwsTransientError', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).rejects(throttling());

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(/DescribeServices.*throttled.*ThrottlingException/);
    });

    it('when ECS fails on its side (ServerException), it throws AwsTransientError', async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(sdkError(ServerException, { status: 500, message: 'internal error' }));

      // Act
      const result = platform.describeService(TARGET);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });
  });

  describe('describeTaskDefinition', () => {
    it('when the revision exists, it maps containers with their environment as a record', async () => {
      // Prepare
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition() });

      // Act
      const view = await platform.describeTaskDefinition(REGION, TD_ARN(7));

      // Assess
      expect(ecs).toReceiveCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD_ARN(7) });
      expect(view).toEqual({
        arn: TD_ARN(7),
        family: 'api',
        containers: [
          {
            name: 'app',
            image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:old',
            environment: { LOG_LEVEL: 'info', PIPELINE_VERSION: '1.0.0' },
          },
          { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1', environment: {} },
        ],
      });
    });

    it('when ECS cannot find the revision, it throws PipelineMisconfigured', async () => {
      // Prepare
      ecs
        .on(DescribeTaskDefinitionCommand)
        .rejects(sdkError(ClientException, { message: 'Unable to describe task definition.' }));

      // Act
      const result = platform.describeTaskDefinition(REGION, TD_ARN(3));

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(/api:3 cannot be described/);
    });
  });

  describe('latestTaskDefinition', () => {
    it('when the family has revisions, it lists the newest ACTIVE one and describes it', async () => {
      // Prepare
      ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [TD_ARN(7)], nextToken: 'more' });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition() });

      // Act
      const view = await platform.latestTaskDefinition(REGION, 'api');

      // Assess
      expect(ecs).toReceiveCommandTimes(ListTaskDefinitionsCommand, 1);
      expect(ecs).toReceiveCommandWith(ListTaskDefinitionsCommand, {
        familyPrefix: 'api',
        status: 'ACTIVE',
        sort: 'DESC',
        maxResults: 1,
      });
      expect(ecs).toReceiveCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD_ARN(7) });
      expect(view?.arn).toBe(TD_ARN(7));
    });

    it('when the prefix matches a longer family first, it pages on to the exact family', async () => {
      // Prepare
      ecs
        .on(ListTaskDefinitionsCommand)
        .resolvesOnce({ taskDefinitionArns: [TD_ARN(12, 'api-worker')], nextToken: 't1' })
        .resolvesOnce({ taskDefinitionArns: [TD_ARN(11, 'api-worker'), TD_ARN(7, 'api')], nextToken: 't2' });
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition() });

      // Act
      const view = await platform.latestTaskDefinition(REGION, 'api');

      // Assess
      expect(ecs).toReceiveCommandTimes(ListTaskDefinitionsCommand, 2);
      expect(ecs).toReceiveNthSpecificCommandWith(2, ListTaskDefinitionsCommand, {
        familyPrefix: 'api',
        status: 'ACTIVE',
        sort: 'DESC',
        maxResults: 100,
        nextToken: 't1',
      });
      expect(ecs).toReceiveCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD_ARN(7, 'api') });
      expect(view?.family).toBe('api');
    });

    it('when the family has no ACTIVE revision, it returns undefined without describing anything', async () => {
      // Prepare
      ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });

      // Act
      const view = await platform.latestTaskDefinition(REGION, 'api');

      // Assess
      expect(view).toBeUndefined();
      expect(ecs).not.toReceiveCommand(DescribeTaskDefinitionCommand);
    });
  });

  describe('registerRevision', () => {
    const change = {
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:new',
      environment: { PIPELINE_VERSION: '1.1.0', PIPELINE_EXECUTION: 'exec-1' },
    };

    it('when the container exists, it registers a copy with registrable fields, the new image and merged env', async () => {
      // Prepare
      const from = describedTaskDefinition();
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: from });
      ecs.on(RegisterTaskDefinitionCommand).resolves({
        taskDefinition: { ...from, taskDefinitionArn: TD_ARN(8), revision: 8 },
      });

      // Act
      const view = await platform.registerRevision(REGION, TD_ARN(7), 'app', change);

      // Assess
      expect(ecs).toReceiveCommandTimes(RegisterTaskDefinitionCommand, 1);
      const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
      expect(input).toEqual({
        family: 'api',
        taskRoleArn: from.taskRoleArn,
        executionRoleArn: from.executionRoleArn,
        networkMode: 'awsvpc',
        containerDefinitions: [
          {
            ...from.containerDefinitions?.[0],
            image: change.image,
            environment: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'PIPELINE_VERSION', value: '1.1.0' },
              { name: 'PIPELINE_EXECUTION', value: 'exec-1' },
            ],
          },
          from.containerDefinitions?.[1],
        ],
        volumes: from.volumes,
        placementConstraints: [],
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        pidMode: 'task',
        ipcMode: 'none',
        proxyConfiguration: from.proxyConfiguration,
        inferenceAccelerators: [],
        ephemeralStorage: { sizeInGiB: 30 },
        runtimePlatform: from.runtimePlatform,
        enableFaultInjection: false,
      });
      for (const readOnly of [
        'taskDefinitionArn',
        'revision',
        'status',
        'requiresAttributes',
        'compatibilities',
        'registeredAt',
        'registeredBy',
        'deregisteredAt',
      ])
        expect(input).not.toHaveProperty(readOnly);
      expect(view.arn).toBe(TD_ARN(8));
    });

    it('when the original revision has tags, it reads them with include TAGS and registers the copy with them', async () => {
      // Prepare
      const from = describedTaskDefinition();
      const tags = [
        { key: 'team', value: 'orders' },
        { key: 'cost-center', value: '4711' },
      ];
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: from, tags });
      ecs.on(RegisterTaskDefinitionCommand).resolves({
        taskDefinition: { ...from, taskDefinitionArn: TD_ARN(8), revision: 8 },
        tags,
      });

      // Act
      await platform.registerRevision(REGION, TD_ARN(7), 'app', change);

      // Assess
      expect(ecs).toReceiveCommandWith(DescribeTaskDefinitionCommand, {
        taskDefinition: TD_ARN(7),
        include: ['TAGS'],
      });
      expect(ecs).toReceiveCommandWith(RegisterTaskDefinitionCommand, { tags });
    });

    it('when the original leaves optional fields out, it leaves them out of the request too', async () => {
      // Prepare
      ecs.on(DescribeTaskDefinitionCommand).resolves({
        taskDefinition: {
          taskDefinitionArn: TD_ARN(2),
          family: 'api',
          revision: 2,
          containerDefinitions: [{ name: 'app', image: 'old' }],
        },
      });
      ecs.on(RegisterTaskDefinitionCommand).resolves({
        taskDefinition: { taskDefinitionArn: TD_ARN(3), family: 'api', containerDefinitions: [] },
      });

      // Act
      await platform.registerRevision(REGION, TD_ARN(2), 'app', { image: 'new', environment: { A: '1' } });

      // Assess
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toStrictEqual({
        family: 'api',
        containerDefinitions: [{ name: 'app', image: 'new', environment: [{ name: 'A', value: '1' }] }],
      });
    });

    it('when the container is not in the task definition, it throws PipelineMisconfigured and registers nothing', async () => {
      // Prepare
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition() });

      // Act
      const result = platform.registerRevision(REGION, TD_ARN(7), 'web', change);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(/no container "web" \(it has: app, envoy\)/);
      expect(ecs).not.toReceiveCommand(RegisterTaskDefinitionCommand);
    });

    it('when ECS throttles the registration, it throws AwsTransientError', async () => {
      // Prepare
      ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: describedTaskDefinition() });
      ecs.on(RegisterTaskDefinitionCommand).rejects(throttling());

      // Act
      const result = platform.registerRevision(REGION, TD_ARN(7), 'app', change);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });
  });

  describe('updateService', () => {
    it('when the service exists, it updates it with the circuit breaker on and returns the PRIMARY deployment', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [activeService()] });
      ecs.on(UpdateServiceCommand).resolves({
        service: activeService({
          deployments: [
            { id: 'ecs-svc/222', status: 'PRIMARY', taskDefinition: TD_ARN(8), rolloutState: 'IN_PROGRESS' },
            { id: 'ecs-svc/100', status: 'ACTIVE', taskDefinition: TD_ARN(7), rolloutState: 'COMPLETED' },
          ],
        }),
      });

      // Act
      const result = await platform.updateService(TARGET, TD_ARN(8));

      // Assess
      expect(ecs).toReceiveCommandWith(UpdateServiceCommand, {
        cluster: 'prod',
        service: 'api',
        taskDefinition: TD_ARN(8),
        forceNewDeployment: false,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      });
      expect(result).toEqual({ deploymentId: 'ecs-svc/222' });
    });

    it('when the service has its own deployment settings, it keeps them and only forces the circuit breaker on', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [
          activeService({
            deploymentConfiguration: {
              maximumPercent: 150,
              minimumHealthyPercent: 50,
              deploymentCircuitBreaker: { enable: false, rollback: false },
              alarms: { alarmNames: ['api-5xx'], enable: true, rollback: true },
            },
          }),
        ],
      });
      ecs.on(UpdateServiceCommand).resolves({
        service: activeService({ deployments: [{ id: 'ecs-svc/222', status: 'PRIMARY' }] }),
      });

      // Act
      await platform.updateService(TARGET, TD_ARN(8));

      // Assess
      expect(ecs).toReceiveCommandWith(UpdateServiceCommand, {
        deploymentConfiguration: {
          maximumPercent: 150,
          minimumHealthyPercent: 50,
          deploymentCircuitBreaker: { enable: true, rollback: true },
          alarms: { alarmNames: ['api-5xx'], enable: true, rollback: true },
        },
      });
    });

    it.each(['BLUE_GREEN', 'LINEAR', 'CANARY'] as const)(
      'when the service deploys with the %s strategy, it refuses by name and sends nothing back',
      async (strategy) => {
        // Prepare: ECS's own strategies come with lifecycle hooks and a hook role
        ecs.on(DescribeServicesCommand).resolves({
          services: [
            activeService({
              deploymentConfiguration: {
                strategy,
                bakeTimeInMinutes: 10,
                lifecycleHooks: [
                  {
                    hookTargetArn: 'arn:aws:lambda:eu-west-1:123456789012:function:hook',
                    roleArn: 'arn:aws:iam::123456789012:role/ecs-hooks',
                    lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
                  },
                ],
              },
            }),
          ],
        });

        // Act
        const result = platform.updateService(TARGET, TD_ARN(8));

        // Assess
        await expect(result).rejects.toThrow(UnsupportedDeploymentStrategyError);
        await expect(result).rejects.toThrow(
          `ECS service api in cluster prod (eu-west-1) deploys with the ${strategy} strategy`,
        );
        expect(ecs).not.toReceiveCommand(UpdateServiceCommand);
      },
    );

    it('when the service names the ROLLING strategy, it deploys as usual', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [activeService({ deploymentConfiguration: { strategy: 'ROLLING' } })],
      });
      ecs.on(UpdateServiceCommand).resolves({
        service: activeService({ deployments: [{ id: 'ecs-svc/222', status: 'PRIMARY' }] }),
      });

      // Act
      const result = await platform.updateService(TARGET, TD_ARN(8));

      // Assess
      expect(result).toEqual({ deploymentId: 'ecs-svc/222' });
    });

    it('when the service is missing, it throws PipelineMisconfigured and updates nothing', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });

      // Act
      const result = platform.updateService(TARGET, TD_ARN(8));

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      expect(ecs).not.toReceiveCommand(UpdateServiceCommand);
    });

    it('when UpdateService is throttled, it throws AwsTransientError', async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({ services: [activeService()] });
      ecs.on(UpdateServiceCommand).rejects(throttling());

      // Act
      const result = platform.updateService(TARGET, TD_ARN(8));

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });
  });

  describe('clients', () => {
    it('when called for two regions, it makes one client per region and reuses it', async () => {
      // Prepare
      const factory = jest.fn((region: string) => new ECSClient({ region }));
      const perRegion = new EcsContainerPlatform({ clients: factory });
      ecs.on(DescribeServicesCommand).resolves({ services: [activeService()] });

      // Act
      await perRegion.describeService(TARGET);
      await perRegion.describeService(TARGET);
      await perRegion.describeService({ ...TARGET, region: 'us-east-1' });

      // Assess
      expect(factory.mock.calls).toEqual([['eu-west-1'], ['us-east-1']]);
    });
  });
});
