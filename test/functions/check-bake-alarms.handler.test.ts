import { createCheckBakeAlarms } from '../../functions/check-bake-alarms/handler';
import { ManualClock } from '../../shared/clock';
import { LocalAlarmSource } from '../../local-runtime/adapters/local-alarm-source';
import { invokeThroughMiddleware, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

describe('check-bake-alarms handler', () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
  const alarms = new LocalAlarmSource(clock);
  alarms.define('eu-west-1', 'orders-api-ppe-5xx');
  const step = createCheckBakeAlarms({ alarms, clock });
  const deployment = {
    previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:1',
    taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2',
    deploymentId: 'ecs-svc/0000000000000000002',
    startedAt: clock.now(),
  };
  const input = JSON.parse(JSON.stringify(ppeStageRun({ deployment }))) as Record<string, unknown>;

  it('when no alarm fired, it returns the bake result', async () => {
    // Prepare
    await clock.advance(5 * 60_000);

    // Act
    const result = await invokeThroughMiddleware('check-bake-alarms', step, input);

    // Assess
    expect(result).toMatchObject({ from: deployment.startedAt, to: clock.now(), breaches: [] });
  });

  it('when the deploy step result is missing, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const { deployment: _deployment, ...event } = input;

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('check-bake-alarms', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/^check-bake-alarms received invalid input: deployment: /);
  });
});
