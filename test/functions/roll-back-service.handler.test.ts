import { createRollBackService } from '../../functions/roll-back-service/handler';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore, invokeThroughMiddleware, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

describe('roll-back-service handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
  const run = ppeStageRun();
  let platform: LocalContainerPlatform;
  let step: ReturnType<typeof createRollBackService>;

  beforeEach(() => {
    platform = new LocalContainerPlatform({ clock });
    platform.seedService(targetOf(run), {
      name: 'app',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64),
    });
    step = createRollBackService({ platform, stageRecords: new InMemoryStageRecordStore() });
  });

  afterEach(() => platform.stop());

  it('when only the execution name, the stage and the caught failure are given, it acts on them', async () => {
    // Prepare
    const event = JSON.parse(
      JSON.stringify({
        executionName: run.executionName,
        stage: run.stage,
        failure: {
          Error: 'DeploymentFailed',
          Cause: '{"errorType":"DeploymentFailed","errorMessage":"tasks failed"}',
        },
      }),
    ) as unknown;

    // Act
    const result = await invokeThroughMiddleware('roll-back-service', step, event);

    // Assess
    expect(result).toEqual({
      rolledBack: false,
      reason: 'nothing to roll back: this execution never changed the service',
      summary:
        'DeploymentFailed: tasks failed (in ppe/eu-west-1; nothing to roll back: this execution never changed the service)',
    });
  });

  it('when the stage is missing, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const event = { executionName: run.executionName };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('roll-back-service', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/^roll-back-service received invalid input: stage: /);
    expect(platform.calls).toEqual([]);
  });
});
