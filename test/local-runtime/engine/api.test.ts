import { flush, harness, namedError, outputOf } from './helpers';

const resource = 'arn:aws:lambda:us-east-1:000000000000:function:work';
const passMachine = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
const waitMachine = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } };

describe('state machine API', () => {
  it('when a definition is given as a JSON string, it is accepted and gets an SFN-shaped ARN', async () => {
    // Prepare
    const h = harness();

    // Act
    const { stateMachineArn } = await h.sfn.createStateMachine({
      name: 'promotion',
      definition: JSON.stringify(passMachine),
    });

    // Assess
    expect(stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:promotion');
  });

  it.each([
    ['StartAt is missing', { States: { P: { Type: 'Pass', End: true } } }, /StartAt is missing/],
    ['StartAt is unknown', { StartAt: 'X', States: { P: { Type: 'Pass', End: true } } }, /StartAt 'X'/],
    [
      'Next points nowhere',
      { StartAt: 'P', States: { P: { Type: 'Pass', Next: 'Nowhere' } } },
      /Next 'Nowhere'/,
    ],
    [
      'a Type is unknown',
      { StartAt: 'P', States: { P: { Type: 'Teleport', End: true } } },
      /unknown state Type 'Teleport'/,
    ],
    ['a state has neither Next nor End', { StartAt: 'P', States: { P: { Type: 'Pass' } } }, /Next or End/],
    [
      'a Catch points nowhere',
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: 'r',
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Gone' }],
            End: true,
          },
        },
      },
      /Next 'Gone'/,
    ],
    [
      'a Choice Default points nowhere',
      {
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: true, Next: 'C' }], Default: 'Gone' },
        },
      },
      /Default 'Gone'/,
    ],
    [
      'a Choice rule has no operator',
      { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.a', Next: 'C' }] } } },
      /comparison operator/,
    ],
    [
      'a Map processor is broken',
      {
        StartAt: 'M',
        States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'Q', States: {} }, End: true } },
      },
      /ItemProcessor/,
    ],
  ])('when %s, createStateMachine throws InvalidDefinition', async (_label, definition, message) => {
    // Prepare
    const h = harness();

    // Act
    const act = h.sfn.createStateMachine({ name: 'bad', definition });

    // Assess
    await expect(act).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringMatching(message),
    });
  });

  it('when a machine name is reused with a different definition, it throws StateMachineAlreadyExists', async () => {
    // Prepare
    const h = harness();
    await h.sfn.createStateMachine({ name: 'same', definition: passMachine });

    // Act
    const again = await h.sfn.createStateMachine({ name: 'same', definition: passMachine });
    const different = h.sfn.createStateMachine({ name: 'same', definition: waitMachine });

    // Assess
    expect(again.stateMachineArn).toMatch(/:stateMachine:same$/);
    await expect(different).rejects.toMatchObject({ name: 'StateMachineAlreadyExists' });
  });
});

describe('execution API', () => {
  it('when the same name is started again with the same input while running, it returns the same execution', async () => {
    // Prepare
    const h = harness();
    const stateMachineArn = await h.machine(waitMachine);
    const first = await h.sfn.startExecution({
      stateMachineArn,
      name: 'ecr-push-abc123',
      input: '{"a":1,"b":2}',
    });

    // Act
    const second = await h.sfn.startExecution({
      stateMachineArn,
      name: 'ecr-push-abc123',
      input: '{"b":2,"a":1}',
    });
    const different = h.sfn.startExecution({ stateMachineArn, name: 'ecr-push-abc123', input: '{"a":2}' });

    // Assess
    expect(second).toEqual(first);
    await expect(different).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect((await h.sfn.listExecutions({ stateMachineArn })).executions).toHaveLength(1);
  });

  it('when the same name is started after that execution closed, it throws ExecutionAlreadyExists (as SFN does)', async () => {
    // Prepare
    const h = harness();
    const stateMachineArn = await h.machine(passMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, name: 'once', input: '{}' });
    await h.sfn.waitForExecution(executionArn);

    // Act
    const again = h.sfn.startExecution({ stateMachineArn, name: 'once', input: '{}' });

    // Assess
    await expect(again).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it.each([[''], ['has space'], ['a/b'], ['x'.repeat(81)], ['semi;colon'], ['ctrl\u0001'], ['brace{']])(
    'when the execution name is %j, it throws InvalidName',
    async (name) => {
      // Prepare
      const h = harness();
      const stateMachineArn = await h.machine(passMachine);

      // Act
      const act = h.sfn.startExecution({ stateMachineArn, name });

      // Assess
      await expect(act).rejects.toMatchObject({ name: 'InvalidName' });
    },
  );

  it('when the state machine does not exist, startExecution throws StateMachineDoesNotExist', async () => {
    // Prepare
    const h = harness();

    // Act
    const act = h.sfn.startExecution({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope',
    });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('when the input is not JSON, startExecution throws InvalidExecutionInput', async () => {
    // Prepare
    const h = harness();
    const stateMachineArn = await h.machine(passMachine);

    // Act
    const act = h.sfn.startExecution({ stateMachineArn, input: '{oops' });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
  });

  it('when an execution runs, describe reports RUNNING then SUCCEEDED with JSON strings and dates', async () => {
    // Prepare
    const h = harness();
    const stateMachineArn = await h.machine(waitMachine);
    const { executionArn, startDate } = await h.sfn.startExecution({
      stateMachineArn,
      name: 'run-1',
      input: '{"x":1}',
    });

    // Act
    const running = await h.sfn.describeExecution({ executionArn });
    await h.clock.advance(60_000);
    const done = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:${stateMachineArn.split(':').pop()}:run-1`,
    );
    expect(running).toMatchObject({
      status: 'RUNNING',
      input: '{"x":1}',
      redriveStatus: 'NOT_REDRIVABLE',
      name: 'run-1',
    });
    expect(running.output).toBeUndefined();
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"x":1}', startDate, redriveCount: 0 });
    expect(done.stopDate?.getTime()).toBe(startDate.getTime() + 60_000);
  });

  it('when listExecutions is filtered by status, it returns only matching executions, newest first', async () => {
    // Prepare
    const h = harness();
    const waiting = await h.machine(waitMachine);
    const instant = await h.machine(passMachine);
    const a = await h.sfn.startExecution({ stateMachineArn: waiting, name: 'a' });
    const b = await h.sfn.startExecution({ stateMachineArn: instant, name: 'b' });
    const c = await h.sfn.startExecution({ stateMachineArn: waiting, name: 'c' });
    await h.sfn.waitForExecution(b.executionArn);

    // Act
    const running = await h.sfn.listExecutions({ statusFilter: 'RUNNING' });
    const ofWaiting = await h.sfn.listExecutions({ stateMachineArn: waiting });

    // Assess
    expect(running.executions.map((e) => e.executionArn)).toEqual([c.executionArn, a.executionArn]);
    expect(ofWaiting.executions.map((e) => e.name)).toEqual(['c', 'a']);
  });

  it('when the machine TimeoutSeconds elapses, the execution ends TIMED_OUT and is redrivable', async () => {
    // Prepare
    const h = harness(() => new Promise(() => undefined));
    const definition = {
      TimeoutSeconds: 300,
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: resource, End: true } },
    };
    const stateMachineArn = await h.machine(definition);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });

    // Act
    await h.clock.advance(300_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBe('States.Timeout');
    expect(result.redriveStatus).toBe('REDRIVABLE');
    expect(h.calls[0]?.signal.aborted).toBe(true);
  });

  it('when an execution is stopped, its running task signal aborts and the status is ABORTED at once', async () => {
    // Prepare
    const h = harness(() => new Promise(() => undefined));
    const stateMachineArn = await h.machine({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: resource, End: true } },
    });
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await flush();

    // Act
    await h.sfn.stopExecution({ executionArn, cause: 'no longer needed' });
    const result = await h.sfn.describeExecution({ executionArn });

    // Assess
    expect(result.status).toBe('ABORTED');
    expect(result.cause).toBe('no longer needed');
    expect(h.calls[0]?.signal.aborted).toBe(true);
  });

  it('when an execution is unknown, describe throws ExecutionDoesNotExist', async () => {
    // Prepare
    const h = harness();

    // Act
    const act = h.sfn.describeExecution({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:x',
    });

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });
});

describe('history and state transitions', () => {
  it('when a small machine runs, the history has SFN event types with names, inputs and outputs in order', async () => {
    // Prepare
    const h = harness(async (request) => ({ got: request.input }));
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Result: 1, ResultPath: '$.n', Next: 'Work' },
        Work: { Type: 'Task', Resource: resource, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };

    // Act
    const result = await h.run(definition, { start: true });
    const events = await h.history(result.executionArn);

    // Assess
    expect(events.map((e) => [e.id, e.previousEventId, e.type, e.details.name])).toEqual([
      [1, 0, 'ExecutionStarted', undefined],
      [2, 1, 'PassStateEntered', 'Init'],
      [3, 2, 'PassStateExited', 'Init'],
      [4, 3, 'TaskStateEntered', 'Work'],
      [5, 4, 'TaskScheduled', 'Work'],
      [6, 5, 'TaskStarted', 'Work'],
      [7, 6, 'TaskSucceeded', 'Work'],
      [8, 7, 'TaskStateExited', 'Work'],
      [9, 8, 'SucceedStateEntered', 'Done'],
      [10, 9, 'SucceedStateExited', 'Done'],
      [11, 10, 'ExecutionSucceeded', undefined],
    ]);
    expect(events[1]?.details.input).toEqual({ start: true });
    expect(events[2]?.details.output).toEqual({ start: true, n: 1 });
    expect(events[4]?.details).toMatchObject({ resource, input: { start: true, n: 1 } });
    expect(events[10]?.details.output).toEqual({ got: { start: true, n: 1 } });
    expect(events[0]?.timestamp).toEqual(new Date(Date.UTC(2026, 0, 1)));
  });

  it('when a machine retries, chooses, maps and succeeds, transitions count each state entered plus each retry', async () => {
    // Prepare
    const h = harness(async (request) => {
      if (request.attempt === 1) throw namedError('Flaky', 'once');
      return request.input;
    });
    const definition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Result: [1, 2], ResultPath: '$.items', Next: 'Work' },
        Work: {
          Type: 'Task',
          Resource: resource,
          Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1 }],
          Next: 'Route',
        },
        Route: { Type: 'Choice', Choices: [{ Variable: '$.items', IsPresent: true, Next: 'Fan' }] },
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await h.clock.advance(1000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess: Init 1 + Work 1 + its retry 1 + Route 1 + Fan 1 + Echo x2 + Done 1 = 8
    expect(outputOf(result)).toEqual([1, 2]);
    expect(h.sfn.countStateTransitions(executionArn)).toBe(8);
    expect(result.stateTransitions).toBe(8);
  });

  it('when a listener subscribes with onEvent, it receives every event live with the execution ARN until unsubscribed', async () => {
    // Prepare
    const h = harness();
    const seen: string[] = [];
    const unsubscribe = h.sfn.onEvent((event) =>
      seen.push(`${event.executionArn.split(':').pop()}:${event.type}`),
    );

    // Act
    const first = await h.run(passMachine);
    unsubscribe();
    await h.run(passMachine);

    // Assess
    const name = first.executionArn.split(':').pop();
    expect(seen).toEqual([
      `${name}:ExecutionStarted`,
      `${name}:PassStateEntered`,
      `${name}:PassStateExited`,
      `${name}:ExecutionSucceeded`,
    ]);
  });
});
