import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ECSClient,
  ECSServiceException,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EcsServiceDeployments } from '../../../shared/aws/ecs-strategies.adapter';
import { EcsContainerPlatform } from '../../../shared/aws/ecs.adapter';
import {
  AwsTransientError,
  PipelineMisconfiguredError,
  UnsupportedDeploymentStrategyError,
} from '../../../shared/domain/errors';
import type { StageTraffic } from '../../../shared/domain/traffic-shift-stage';
import type { EcsTarget, ShiftRequest } from '../../../shared/ports/deployment';
import { unmodelledSdkError } from '../../helpers/sdk-errors';

const REGION = 'eu-west-1';
const TARGET: EcsTarget = { region: REGION, cluster: 'prod', service: 'orders-api' };
const ACCOUNT = '123456789012';
const TG_A = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/orders-a/73e2d6bc24d8a067`;
const TG_B = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/orders-b/2453ed029918f21f`;
const RULE = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const TEST_RULE = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/orders/50dc6c495c0c9188/8a1b2c3d4e5f6a7b/1a2b3c4d5e6f7a8b`;
const LB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/orders/50dc6c495c0c9188`;
const HOOK_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecs-promotion-pipeline-prod-shiftTraffic`;
const HOOK_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-promotion-pipeline-prod-ecs-invokes-hook`;
const INFRA_ROLE = `arn:aws:iam::${ACCOUNT}:role/ecs-infrastructure-orders`;
const TEAM_HOOK = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders-admission`;
const TD = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/orders-api:8`;

const traffic: StageTraffic = {
  strategy: 'canary',
  steps: [
    { percent: 5, windowMs: 600_000 },
    { percent: 25, windowMs: 600_000 },
    { percent: 50, windowMs: 600_000 },
  ],
  keepBlueMinutes: 15,
  thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 100 },
  maxExtensions: 3,
  loadBalancer: {
    loadBalancerArn: LB,
    blueTargetGroupArn: TG_A,
    greenTargetGroupArn: TG_B,
    productionListenerRuleArn: RULE,
    infrastructureRoleArn: INFRA_ROLE,
  },
};

const shift: ShiftRequest = {
  traffic,
  hook: { functionArn: HOOK_ARN, invokeRoleArn: HOOK_ROLE },
  stage: {
    executionName: 'tag-orders-api-v1-4-0',
    service: 'orders-api',
    environment: 'prod',
    region: REGION,
  },
};

/** The service as DescribeServices shows it: a rolling service of the team's, attached to `targetGroup`. */
function service(targetGroup: string, overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'orders-api',
    status: 'ACTIVE',
    taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/orders-api:7`,
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      alarms: { alarmNames: ['orders-api-prod-5xx'], enable: true, rollback: true },
      lifecycleHooks: [{ hookTargetArn: TEAM_HOOK, roleArn: HOOK_ROLE, lifecycleStages: ['PRE_SCALE_UP'] }],
    },
    loadBalancers: [{ targetGroupArn: targetGroup, containerName: 'app', containerPort: 8080 }],
    ...overrides,
  };
}

describe('ECS blue/green deployments driven by the traffic shift hook', () => {
  const ecs = mockClient(ECSClient);
  const platform = new EcsContainerPlatform({ clients: new ECSClient({ region: REGION }) });

  beforeEach(() => {
    ecs.reset();
    ecs
      .on(UpdateServiceCommand)
      .resolves({ service: { deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD }] } });
  });

  it('when a canary stage deploys, it sends BLUE_GREEN with the bake time, the hook and the advanced load balancer settings', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [service(TG_A)] });

    // Act
    const result = await platform.updateService(TARGET, TD, shift);

    // Assess
    expect(result).toEqual({ deploymentId: 'ecs-svc/1' });
    const input = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    expect(input.deploymentConfiguration).toEqual({
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      alarms: { alarmNames: ['orders-api-prod-5xx'], enable: true, rollback: true },
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 15,
      lifecycleHooks: [
        { hookTargetArn: TEAM_HOOK, roleArn: HOOK_ROLE, lifecycleStages: ['PRE_SCALE_UP'] },
        {
          targetType: 'AWS_LAMBDA',
          hookTargetArn: HOOK_ARN,
          roleArn: HOOK_ROLE,
          lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'],
          hookDetails: {
            ...shift.stage,
            targets: {
              region: REGION,
              loadBalancer: LB,
              listenerRule: RULE,
              blueTargetGroup: TG_A,
              greenTargetGroup: TG_B,
            },
            plan: {
              strategy: 'canary',
              steps: traffic.steps,
              keepBlueMinutes: 15,
              thresholds: traffic.thresholds,
              maxExtensions: 3,
            },
          },
          // Three 10-minute steps, each extendable three times, and a margin.
          timeoutConfiguration: { timeoutInMinutes: 135, action: 'ROLLBACK' },
        },
      ],
    });
    expect(input.loadBalancers).toEqual([
      {
        targetGroupArn: TG_A,
        containerName: 'app',
        containerPort: 8080,
        advancedConfiguration: {
          alternateTargetGroupArn: TG_B,
          productionListenerRule: RULE,
          roleArn: INFRA_ROLE,
        },
      },
    ]);
  });

  it('when a blue-green stage has test checks, the hook is registered at POST_TEST_TRAFFIC_SHIFT too, with the checks and the test listener', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({ services: [service(TG_A)] });
    const checks = [
      {
        name: 'health',
        path: '/health',
        method: 'GET' as const,
        expectStatus: 200,
        maxLatencyMs: 2000,
        timeoutMs: 5000,
      },
    ];
    const blueGreen: ShiftRequest = {
      ...shift,
      traffic: {
        ...traffic,
        strategy: 'blue-green',
        steps: [],
        testChecks: checks,
        loadBalancer: {
          ...traffic.loadBalancer,
          testListenerRuleArn: TEST_RULE,
          testEndpoint: 'https://orders-api-test.eu-west-1.example.internal:8443',
        },
      },
    };

    // Act
    await platform.updateService(TARGET, TD, blueGreen);

    // Assess
    const input = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    const ours = input.deploymentConfiguration?.lifecycleHooks?.find((h) => h.hookTargetArn === HOOK_ARN);
    expect(ours?.lifecycleStages).toEqual(['POST_TEST_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT']);
    expect(ours?.hookDetails).toMatchObject({
      plan: { strategy: 'blue-green', steps: [] },
      testChecks: { endpoint: 'https://orders-api-test.eu-west-1.example.internal:8443', checks },
    });
    expect(input.loadBalancers?.[0]?.advancedConfiguration).toEqual({
      alternateTargetGroupArn: TG_B,
      productionListenerRule: RULE,
      testListenerRule: TEST_RULE,
      roleArn: INFRA_ROLE,
    });
  });

  it('when a stage has test checks but no test listener, it refuses with what to add and changes nothing', async () => {
    // Prepare: a hand-built plan (the config refuses this)
    ecs.on(DescribeServicesCommand).resolves({ services: [service(TG_A)] });
    const noTestListener: ShiftRequest = {
      ...shift,
      traffic: {
        ...traffic,
        strategy: 'blue-green',
        steps: [],
        testChecks: [
          {
            name: 'health',
            path: '/health',
            method: 'GET',
            expectStatus: 200,
            maxLatencyMs: 2000,
            timeoutMs: 5000,
          },
        ],
      },
    };

    // Act
    const error = await platform.updateService(TARGET, TD, noTestListener).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect((error as Error).message).toMatch(/add testListenerRuleArn and testEndpoint/);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('when the last deployment left the service in the other target group, that one is blue now', async () => {
    // Prepare: ECS alternates the groups, and the service is already blue/green from the last release.
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service(TG_B, { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 } }),
      ],
    });

    // Act
    await platform.updateService(TARGET, TD, shift);

    // Assess
    const input = ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    expect(input.loadBalancers?.[0]?.advancedConfiguration?.alternateTargetGroupArn).toBe(TG_A);
    const hook = input.deploymentConfiguration?.lifecycleHooks?.[0];
    expect(hook?.hookDetails).toMatchObject({ targets: { blueTargetGroup: TG_B, greenTargetGroup: TG_A } });
  });

  it('when the config goes back to rolling while the service is blue/green, it still refuses to resend half-understood settings', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service(TG_B, { deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 } }),
      ],
    });

    // Act / Assess
    await expect(platform.updateService(TARGET, TD)).rejects.toBeInstanceOf(
      UnsupportedDeploymentStrategyError,
    );
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('when the service is attached to neither target group of the wiring, it names both and changes nothing', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service(`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/other/1111111111111111`),
      ],
    });

    // Act
    const error = await platform.updateService(TARGET, TD, shift).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect((error as Error).message).toContain(`(${TG_A}, ${TG_B})`);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('when the team has its own hook where the pipeline shifts traffic, it refuses rather than fight over the weights', async () => {
    // Prepare
    const clashing = service(TG_A);
    clashing.deploymentConfiguration!.lifecycleHooks = [
      { hookTargetArn: TEAM_HOOK, roleArn: HOOK_ROLE, lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'] },
    ];
    ecs.on(DescribeServicesCommand).resolves({ services: [clashing] });

    // Act / Assess
    await expect(platform.updateService(TARGET, TD, shift)).rejects.toThrow(
      /has a lifecycle hook \(arn:aws:lambda:eu-west-1:123456789012:function:orders-admission\) at PRE_PRODUCTION_TRAFFIC_SHIFT/,
    );
  });
});

describe('switching back to blue while it still runs', () => {
  const ecs = mockClient(ECSClient);
  const deployments = new EcsServiceDeployments({ clients: new ECSClient({ region: REGION }) });
  const DEPLOYMENT = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/orders-api/Tfx5sH9q9XDboDTOv0rIt`;

  beforeEach(() => ecs.reset());

  it('when a blue/green deployment is in its bake time, it stops it with ROLLBACK', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, status: 'IN_PROGRESS' }],
    });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: DEPLOYMENT,
          status: 'IN_PROGRESS',
          lifecycleStage: 'BAKE_TIME',
          deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 },
        },
      ],
    });
    ecs.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: DEPLOYMENT });

    // Act
    const stopped = await deployments.rollBackInProgress(TARGET);

    // Assess
    expect(stopped).toEqual({ serviceDeploymentArn: DEPLOYMENT });
    expect(ecs).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, {
      cluster: 'prod',
      service: 'orders-api',
      status: ['PENDING', 'IN_PROGRESS'],
    });
    expect(ecs).toHaveReceivedCommandWith(StopServiceDeploymentCommand, {
      serviceDeploymentArn: DEPLOYMENT,
      stopType: 'ROLLBACK',
    });
  });

  it.each([
    ['no deployment is in progress (blue is gone)', [], []],
    [
      'the deployment in progress is a rolling one (there is no blue to switch to)',
      [{ serviceDeploymentArn: DEPLOYMENT, status: 'IN_PROGRESS' as const }],
      [{ serviceDeploymentArn: DEPLOYMENT, deploymentConfiguration: { strategy: 'ROLLING' as const } }],
    ],
  ])('when %s, it stops nothing', async (_, listed, described) => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: listed });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: described });

    // Act / Assess
    await expect(deployments.rollBackInProgress(TARGET)).resolves.toBeUndefined();
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
  });

  it('when ECS throttles the stop, it is a transient error the state machine retries', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT, status: 'IN_PROGRESS' }],
    });
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        { serviceDeploymentArn: DEPLOYMENT, deploymentConfiguration: { strategy: 'BLUE_GREEN' } },
      ],
    });
    ecs
      .on(StopServiceDeploymentCommand)
      .rejects(unmodelledSdkError(ECSServiceException, 'ThrottlingException'));

    // Act / Assess
    await expect(deployments.rollBackInProgress(TARGET)).rejects.toBeInstanceOf(AwsTransientError);
  });
});
