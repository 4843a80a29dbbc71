import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { createDeployService } from '../../functions/deploy-service/handler';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { readableCause } from '../../shared/domain/failure-cause';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore, invokeThroughMiddleware, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

describe('deploy-service handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
  let platform: LocalContainerPlatform;
  let step: ReturnType<typeof createDeployService>;
  /** The stage run as Step Functions delivers it: plain JSON. */
  const input = JSON.parse(JSON.stringify(ppeStageRun())) as Record<string, unknown>;

  beforeEach(() => {
    platform = new LocalContainerPlatform({ clock });
    platform.seedService(targetOf(ppeStageRun()), {
      name: 'app',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64),
    });
    step = createDeployService({ platform, stageRecords: new InMemoryStageRecordStore(), clock });
  });

  afterEach(() => platform.stop());

  it('when the stage run is valid, it deploys and returns the deployment', async () => {
    // Prepare
    const event = input;

    // Act
    const result = await invokeThroughMiddleware('deploy-service', step, event);

    // Assess
    expect(result).toMatchObject({
      previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:1',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2',
      startedAt: clock.now(),
    });
  });

  it('when the image is not pinned by digest, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const event = { ...input, image: { ...(input.image as object), digest: 'latest' } };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('deploy-service', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toBe(
      'deploy-service received invalid input: image.digest: must be sha256:<64 hex>',
    );
    expect(platform.calls).toEqual([]);
  });
});

describe('deploy-service handler on ECS', () => {
  const ecs = mockClient(ECSClient);
  afterEach(() => ecs.reset());

  it('when the service deploys blue/green, the step fails UnsupportedDeploymentStrategy with a readable cause', async () => {
    // Prepare
    const run = ppeStageRun();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: run.stage.service,
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:1',
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 },
        },
      ],
    });
    const step = createDeployService({
      platform: new EcsContainerPlatform({ clients: new ECSClient({ region: 'eu-west-1' }) }),
      stageRecords: new InMemoryStageRecordStore(),
      clock: new ManualClock(Date.UTC(2026, 10, 20, 9, 16)),
    });

    // Act
    const error = await rejectionOf(
      invokeThroughMiddleware('deploy-service', step, JSON.parse(JSON.stringify(run)) as unknown),
    );

    // Assess: what Step Functions records as the failure, and what the stage's failure cause shows
    expect(error.name).toBe('UnsupportedDeploymentStrategy');
    const cause = JSON.stringify({ errorType: error.name, errorMessage: error.message });
    expect(readableCause(cause)).toBe(
      `ECS service orders-api in cluster ppe (eu-west-1) deploys with the BLUE_GREEN strategy; the pipeline ` +
        "drives rolling updates only: set the service's deploymentConfiguration.strategy to ROLLING, or " +
        'deploy it outside the pipeline until blue/green, linear and canary are supported',
    );
    expect(ecs).not.toReceiveCommand(UpdateServiceCommand);
  });
});
