import { createAwaitDeployment } from '../../functions/await-deployment/handler';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import {
  InMemoryDeploymentWaiterStore,
  invokeThroughMiddleware,
  RecordingExecutionControl,
  rejectionOf,
} from '../support/fakes';
import { ppeStage } from '../support/fixtures';

describe('await-deployment handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
  const stage = JSON.parse(JSON.stringify(ppeStage())) as ReturnType<typeof ppeStage>;
  let platform: LocalContainerPlatform;
  let waiters: InMemoryDeploymentWaiterStore;
  let executions: RecordingExecutionControl;
  let step: ReturnType<typeof createAwaitDeployment>;
  let deploymentId: string;

  beforeEach(async () => {
    platform = new LocalContainerPlatform({ clock });
    platform.seedService(targetOf({ stage }), {
      name: 'app',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64),
    });
    deploymentId = (await platform.describeService(targetOf({ stage }))).deployments[0]!.id;
    waiters = new InMemoryDeploymentWaiterStore();
    executions = new RecordingExecutionControl();
    step = createAwaitDeployment({ platform, waiters, executions, clock });
  });

  afterEach(() => platform.stop());

  it('when the awaited deployment has completed already, it resumes the task at once', async () => {
    // Prepare
    const event = { taskToken: 'token-1', stage, deploymentId };

    // Act
    const settlement = await invokeThroughMiddleware('await-deployment', step, event);

    // Assess
    expect(settlement).toEqual({ outcome: 'completed', deploymentId, delivered: true });
    expect(executions.deliveries.map((d) => [d.taskToken, d.kind])).toEqual([['token-1', 'success']]);
  });

  it('when the task token is missing, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const event = { stage, deploymentId };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('await-deployment', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/^await-deployment received invalid input: taskToken: /);
    expect(await waiters.list()).toEqual([]);
  });
});
