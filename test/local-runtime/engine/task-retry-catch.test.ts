import { TaskFailure } from '../../../local-runtime/engine';
import { flush, harness, namedError, outputOf, single } from './helpers';

const resource = 'arn:aws:lambda:us-east-1:000000000000:function:work';

describe('Task state', () => {
  it('when the handler resolves, the Task passes resource, effective input, state name and attempt', async () => {
    // Prepare
    const h = harness(async () => ({ ok: true }));
    const definition = single({
      Type: 'Task',
      Resource: resource,
      InputPath: '$.in',
      Parameters: { 'v.$': '$.v' },
    });

    // Act
    const result = await h.run(definition, { in: { v: 5 } });

    // Assess
    expect(outputOf(result)).toEqual({ ok: true });
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]).toMatchObject({
      resource,
      input: { v: 5 },
      stateName: 'Only',
      executionArn: result.executionArn,
      attempt: 1,
    });
    expect(h.calls[0]?.taskToken).toBeUndefined();
  });

  it('when the handler throws an Error, Error is its name and Cause its message', async () => {
    // Prepare
    const h = harness(async () => {
      throw namedError('DeploymentFailed', 'service unstable');
    });

    // Act
    const result = await h.run(single({ Type: 'Task', Resource: resource }));

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeploymentFailed');
    expect(result.cause).toBe('service unstable');
  });

  it('when the thrown object has errorName and a string cause, those win over name and message', async () => {
    // Prepare
    const explicit = Object.assign(new Error('ignored message'), {
      errorName: 'Lambda.ServiceException',
      cause: 'throttled',
    });
    const h = harness(async () => {
      throw explicit;
    });

    // Act
    const result = await h.run(single({ Type: 'Task', Resource: resource }));

    // Assess
    expect(result.error).toBe('Lambda.ServiceException');
    expect(result.cause).toBe('throttled');
  });

  it('when the handler throws a TaskFailure, its errorName and cause are used', async () => {
    // Prepare
    const h = harness(async () => {
      throw new TaskFailure('Custom.Error', 'because');
    });

    // Act
    const result = await h.run(single({ Type: 'Task', Resource: resource }));

    // Assess
    expect([result.error, result.cause]).toEqual(['Custom.Error', 'because']);
  });

  it('when a Task fails and a Retry matches, it retries after 1s, 2s and 4s on the clock, counting attempts', async () => {
    // Prepare
    const attemptsAt: number[] = [];
    const h = harness(async (request) => {
      attemptsAt.push(h.clock.now());
      if (request.attempt < 4) throw namedError('Flaky', `attempt ${request.attempt}`);
      return { attempt: request.attempt };
    });
    const start = h.clock.now();
    const stateMachineArn = await h.machine(
      single({
        Type: 'Task',
        Resource: resource,
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }],
      }),
    );

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await flush();
    const afterFirst = attemptsAt.length;
    await h.clock.advance(999);
    const before1s = attemptsAt.length;
    await h.clock.advance(1);
    await h.clock.advance(2000);
    await h.clock.advance(4000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect([afterFirst, before1s]).toEqual([1, 1]);
    expect(attemptsAt.map((t) => t - start)).toEqual([0, 1000, 3000, 7000]);
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ attempt: 4 });
    expect(h.calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
  });

  it('when MaxDelaySeconds caps the backoff and FULL jitter is on, the delays are capped then scaled by random', async () => {
    // Prepare
    const attemptsAt: number[] = [];
    const h = harness(
      async () => {
        attemptsAt.push(h.clock.now());
        throw namedError('Flaky', 'no');
      },
      () => 0.5,
    );
    const start = h.clock.now();
    const stateMachineArn = await h.machine(
      single({
        Type: 'Task',
        Resource: resource,
        Retry: [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: 10,
            BackoffRate: 3,
            MaxAttempts: 3,
            MaxDelaySeconds: 40,
            JitterStrategy: 'FULL',
          },
        ],
      }),
    );

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(100_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess: delays 10s, 30s, min(90s, 40s) = 40s, each halved by the jitter
    expect(attemptsAt.map((t) => t - start)).toEqual([0, 5000, 20000, 40000]);
    expect(result.error).toBe('Flaky');
  });

  it('when retries are exhausted and a Catch matches, it goes to the Catch Next with the error at ResultPath', async () => {
    // Prepare
    const h = harness(async () => {
      throw namedError('Boom', 'still broken');
    });
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: resource,
          Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 1, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' }],
          End: true,
        },
        Recover: { Type: 'Pass', End: true },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"keep":1}' });
    await h.clock.advance(10_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(h.calls).toHaveLength(3);
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ keep: 1, error: { Error: 'Boom', Cause: 'still broken' } });
  });

  it('when a Catch has no ResultPath, the error output replaces the input', async () => {
    // Prepare
    const h = harness(async () => {
      throw namedError('Boom', 'why');
    });
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: resource,
          Catch: [{ ErrorEquals: ['Boom'], Next: 'Recover' }],
          End: true,
        },
        Recover: { Type: 'Pass', End: true },
      },
    };

    // Act
    const result = await h.run(definition, { keep: 1 });

    // Assess
    expect(outputOf(result)).toEqual({ Error: 'Boom', Cause: 'why' });
  });

  it('when MaxAttempts is 0, the retrier never retries', async () => {
    // Prepare
    const h = harness(async () => {
      throw namedError('Boom', 'x');
    });

    // Act
    const result = await h.run(
      single({ Type: 'Task', Resource: resource, Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 0 }] }),
    );

    // Assess
    expect(h.calls).toHaveLength(1);
    expect(result.error).toBe('Boom');
  });

  it('when the first matching retrier is exhausted, later retriers are not consulted', async () => {
    // Prepare
    const h = harness(async () => {
      throw namedError('Boom', 'x');
    });
    const definition = single({
      Type: 'Task',
      Resource: resource,
      Retry: [
        { ErrorEquals: ['Boom'], MaxAttempts: 1, IntervalSeconds: 1 },
        { ErrorEquals: ['States.ALL'], MaxAttempts: 5, IntervalSeconds: 1 },
      ],
    });
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(60_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(h.calls).toHaveLength(2);
    expect(result.error).toBe('Boom');
  });

  it('when TimeoutSeconds elapses, the attempt fails with States.Timeout, its signal aborts, and Catch can handle it', async () => {
    // Prepare
    let signal: AbortSignal | undefined;
    const h = harness(
      (request) =>
        new Promise(() => {
          signal = request.signal;
        }),
    );
    const definition = {
      StartAt: 'Slow',
      States: {
        Slow: {
          Type: 'Task',
          Resource: resource,
          TimeoutSeconds: 30,
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
          End: true,
        },
        TimedOut: { Type: 'Pass', End: true },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(29_999);
    const stillRunning = (await h.sfn.describeExecution({ executionArn })).status;
    await h.clock.advance(1);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(stillRunning).toBe('RUNNING');
    expect(signal?.aborted).toBe(true);
    expect(outputOf(result)).toEqual({ Error: 'States.Timeout', Cause: 'Task timed out after 30 seconds' });
    const types = (await h.history(executionArn)).map((e) => e.type);
    expect(types).toContain('TaskTimedOut');
  });

  it('when TimeoutSecondsPath is used, the timeout comes from the input', async () => {
    // Prepare
    const h = harness(() => new Promise(() => undefined));
    const stateMachineArn = await h.machine(
      single({ Type: 'Task', Resource: resource, TimeoutSecondsPath: '$.timeout' }),
    );

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"timeout":5}' });
    await h.clock.advance(5000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
  });

  it('when a callback task times out after TimeoutSecondsPath, a Catch of States.Timeout gets it (the bake)', async () => {
    // Prepare
    const h = harness(() => new Promise(() => undefined));
    const definition = {
      StartAt: 'Bake',
      States: {
        Bake: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { 'token.$': '$$.Task.Token' },
          TimeoutSecondsPath: '$.bakeSeconds',
          Catch: [
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.ended', Next: 'Quiet' },
            { ErrorEquals: ['States.ALL'], Next: 'Breached' },
          ],
          End: true,
        },
        Quiet: { Type: 'Pass', End: true },
        Breached: { Type: 'Fail', Error: 'Breached' },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"bakeSeconds":1800}' });
    await h.clock.advance(1_799_999);
    const stillRunning = (await h.sfn.describeExecution({ executionArn })).status;
    await h.clock.advance(1);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(stillRunning).toBe('RUNNING');
    expect(outputOf(result)).toEqual({
      bakeSeconds: 1800,
      ended: { Error: 'States.Timeout', Cause: 'Task timed out after 1800 seconds' },
    });
  });

  it.each<[string, string]>([
    ['zero', '{"bakeSeconds":0}'],
    ['a fraction', '{"bakeSeconds":1.5}'],
    ['a numeric string', '{"bakeSeconds":"30"}'],
    ['negative', '{"bakeSeconds":-5}'],
    ['missing', '{}'],
  ])(
    'when TimeoutSecondsPath selects a value that is %s, the execution fails with States.Runtime past every Catch',
    async (_, input) => {
      // Prepare: "the path must select a field whose value is a positive integer" (ASL, TimeoutSecondsPath)
      const h = harness(() => new Promise(() => undefined));
      const definition = {
        StartAt: 'Bake',
        States: {
          Bake: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            TimeoutSecondsPath: '$.bakeSeconds',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      };

      // Act
      const result = await h.run(definition, JSON.parse(input));

      // Assess
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(h.calls).toHaveLength(0);
    },
  );

  it('when States.TaskFailed is in ErrorEquals, it matches task errors but not States.Timeout', async () => {
    // Prepare
    const h = harness(() => new Promise(() => undefined));
    const definition = {
      StartAt: 'Slow',
      States: {
        Slow: {
          Type: 'Task',
          Resource: resource,
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(1000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
  });

  it('when a States.Runtime error happens in a Task, neither Retry nor Catch on States.ALL handles it', async () => {
    // Prepare
    const h = harness(async () => ({ no: 'field' }));
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: resource,
          ResultSelector: { 'x.$': '$.missing' },
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };

    // Act
    const result = await h.run(definition);

    // Assess
    expect(h.calls).toHaveLength(1);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
  });

  it('when a Task is retried, the history shows each attempt and $$.State.RetryCount increases', async () => {
    // Prepare
    const h = harness(async (request) => {
      if (request.attempt === 1) throw namedError('Flaky', 'first');
      return request.input;
    });
    const stateMachineArn = await h.machine(
      single({
        Type: 'Task',
        Resource: resource,
        Parameters: { 'retry.$': '$$.State.RetryCount' },
        Retry: [{ ErrorEquals: ['Flaky'] }],
      }),
    );

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(1000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(h.calls.map((c) => c.input)).toEqual([{ retry: 0 }, { retry: 1 }]);
    expect(outputOf(result)).toEqual({ retry: 1 });
    const events = (await h.history(executionArn)).map((e) => [e.type, e.details.attempt]);
    expect(events).toEqual([
      ['ExecutionStarted', undefined],
      ['TaskStateEntered', undefined],
      ['TaskScheduled', 1],
      ['TaskStarted', 1],
      ['TaskFailed', 1],
      ['TaskScheduled', 2],
      ['TaskStarted', 2],
      ['TaskSucceeded', 2],
      ['TaskStateExited', undefined],
      ['ExecutionSucceeded', undefined],
    ]);
  });
});
