import { createSweepDeployments } from '../../functions/sweep-deployments/handler';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import {
  InMemoryDeploymentWaiterStore,
  invokeThroughMiddleware,
  RecordingExecutionControl,
} from '../support/fakes';
import { ppeStage } from '../support/fixtures';

describe('sweep-deployments handler', () => {
  it('when one waited deployment completed and another is gone past its expiry, it reports two checked and two settled', async () => {
    // Prepare
    const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
    const target = targetOf({ stage: ppeStage() });
    const platform = new LocalContainerPlatform({ clock });
    platform.seedService(target, {
      name: 'app',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64),
    });
    const completedId = (await platform.describeService(target)).deployments[0]!.id;
    const waiters = new InMemoryDeploymentWaiterStore();
    await waiters.put({
      deploymentId: completedId,
      taskToken: 'token-done',
      target,
      expiresAt: clock.now() + 1,
    });
    await waiters.put({
      deploymentId: 'ecs-svc/stale',
      taskToken: 'token-stale',
      target,
      expiresAt: clock.now() - 1,
    });
    const executions = new RecordingExecutionControl();
    const step = createSweepDeployments({ platform, waiters, executions, clock });

    // Act
    const summary = await invokeThroughMiddleware('sweep-deployments', step, undefined);

    // Assess
    expect(summary).toEqual({ checked: 2, settled: 2 });
    expect(executions.deliveries.map((d) => [d.taskToken, d.kind])).toEqual([['token-done', 'success']]);
    expect(await waiters.list()).toEqual([]);
  });
});
