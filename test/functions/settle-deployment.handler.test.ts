import { createSettleDeployment } from '../../functions/settle-deployment/handler';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import {
  InMemoryDeploymentWaiterStore,
  invokeThroughMiddleware,
  RecordingExecutionControl,
  rejectionOf,
} from '../support/fakes';
import { loadEvent, ppeStage } from '../support/fixtures';

describe('settle-deployment handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 17, 30));
  let waiters: InMemoryDeploymentWaiterStore;
  let executions: RecordingExecutionControl;
  let step: ReturnType<typeof createSettleDeployment>;

  beforeEach(async () => {
    waiters = new InMemoryDeploymentWaiterStore();
    executions = new RecordingExecutionControl();
    const platform = new LocalContainerPlatform({ clock });
    step = createSettleDeployment({ platform, waiters, executions, clock });
    for (const [id, token] of [
      ['ecs-svc/0000000000000000042', 'token-42'],
      ['ecs-svc/0000000000000000043', 'token-43'],
    ] as const)
      await waiters.put({
        deploymentId: id,
        taskToken: token,
        target: targetOf({ stage: ppeStage() }),
        expiresAt: clock.now() + 60_000,
      });
  });

  it('when ECS reports the deployment completed, it resumes the waiting execution', async () => {
    // Prepare
    const event = loadEvent('ecs-deployment-completed.json');

    // Act
    const settlement = await invokeThroughMiddleware('settle-deployment', step, event);

    // Assess
    expect(settlement).toEqual({
      outcome: 'completed',
      deploymentId: 'ecs-svc/0000000000000000042',
      delivered: true,
      reason: 'ECS deployment ecs-svc/0000000000000000042 completed.',
    });
    expect(executions.deliveries.map((d) => [d.taskToken, d.kind])).toEqual([['token-42', 'success']]);
  });

  it('when ECS reports the deployment failed, it fails the waiting execution with DeploymentFailed', async () => {
    // Prepare
    const event = loadEvent('ecs-deployment-failed.json');

    // Act
    await invokeThroughMiddleware('settle-deployment', step, event);

    // Assess
    expect(executions.deliveries).toEqual([
      {
        taskToken: 'token-43',
        kind: 'failure',
        error: 'DeploymentFailed',
        cause:
          'ECS deployment ecs-svc/0000000000000000043 failed: ECS deployment circuit breaker: tasks failed to start.',
      },
    ]);
  });

  it('when the event is not an ECS deployment state change, it rejects it as MalformedEvent naming the field', async () => {
    // Prepare
    const event = loadEvent('ecr-push-orders-api.json');

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('settle-deployment', step, event));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toMatch(/^malformed ECS Deployment State Change event: /);
    expect(error.message).toContain('source: ');
    expect(error.message).toContain('detail.deploymentId: ');
    expect(executions.deliveries).toEqual([]);
  });
});
