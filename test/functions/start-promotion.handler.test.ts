import { createStartPromotion } from '../../functions/start-promotion/handler';
import { invokeThroughMiddleware, RecordingExecutionControl, rejectionOf } from '../support/fakes';
import { loadEvent, sampleConfig } from '../support/fixtures';

const PROMOTE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote';

describe('start-promotion handler', () => {
  let executions: RecordingExecutionControl;
  let step: ReturnType<typeof createStartPromotion>;

  beforeEach(() => {
    executions = new RecordingExecutionControl();
    step = createStartPromotion({ config: sampleConfig(), executions, promoteStateMachineArn: PROMOTE });
  });

  it('when the ECR push event is valid, it starts the promotion', async () => {
    // Prepare
    const event = loadEvent('ecr-push-orders-api.json');

    // Act
    const decision = await invokeThroughMiddleware('start-promotion', step, event);

    // Assess
    expect(decision).toMatchObject({ started: true, name: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c' });
    expect(executions.started).toHaveLength(1);
  });

  it('when the event is delivered twice, the second invocation starts nothing', async () => {
    // Prepare
    await step(loadEvent('ecr-push-orders-api.json'));

    // Act
    const decision = await invokeThroughMiddleware(
      'start-promotion',
      step,
      loadEvent('ecr-push-orders-api.json'),
    );

    // Assess
    expect(decision).toMatchObject({ started: false, reason: expect.stringMatching(/^duplicate delivery/) });
    expect(executions.started).toHaveLength(1);
  });

  it('when the envelope lacks fields, it rejects the event as MalformedEvent naming each field', async () => {
    // Prepare
    const event = loadEvent('malformed-missing-envelope-fields.json');

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('start-promotion', step, event));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toMatch(/^malformed ECR Image Action event: /);
    for (const field of ['id', 'account', 'time', 'region', 'detail.action-type', 'detail.result'])
      expect(error.message).toContain(`${field}: `);
    expect(executions.started).toEqual([]);
  });

  it('when the event comes from another source, it rejects it as MalformedEvent naming source', async () => {
    // Prepare
    const event = { ...loadEvent('ecr-push-orders-api.json'), source: 'aws.ecs' };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('start-promotion', step, event));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toMatch(/^malformed ECR Image Action event: source: /);
    expect(error.message).not.toContain('detail');
    expect(executions.started).toEqual([]);
  });

  it('when the account id is not 12 digits, it names the field and the rule', async () => {
    // Prepare
    const event = { ...loadEvent('ecr-push-orders-api.json'), account: 'example' };

    // Act
    const error = await rejectionOf(step(event));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toBe(
      'malformed ECR Image Action event: account: must be a 12-digit AWS account id',
    );
  });
});
