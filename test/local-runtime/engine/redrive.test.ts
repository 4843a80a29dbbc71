import { flush, harness, namedError, outputOf } from './helpers';

const resource = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const fnOf = (resourceArn: string) => resourceArn.split(':').pop();

describe('redriveExecution', () => {
  it('when iteration 2 of 3 failed in a sequential Map, redrive runs only iterations 2 and 3 and keeps iteration 1', async () => {
    // Prepare
    let broken = true;
    const h = harness(async (request) => {
      if (request.input === 2 && broken) throw namedError('ItemFailed', 'item 2 broke');
      return { done: request.input };
    });
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'Work',
            States: { Work: { Type: 'Task', Resource: resource('item'), End: true } },
          },
          End: true,
        },
      },
    };
    const first = await h.run(definition, { items: [1, 2, 3] });
    const callsBefore = h.calls.map((c) => c.input);
    broken = false;

    // Act
    await h.sfn.redriveExecution({ executionArn: first.executionArn });
    const result = await h.sfn.waitForExecution(first.executionArn);

    // Assess
    expect(first.status).toBe('FAILED');
    expect(first.redriveStatus).toBe('REDRIVABLE');
    expect(callsBefore).toEqual([1, 2]);
    expect(h.calls.map((c) => c.input)).toEqual([1, 2, 2, 3]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.redriveCount).toBe(1);
    expect(outputOf(result)).toEqual([{ done: 1 }, { done: 2 }, { done: 3 }]);
    // 3 transitions before (Map + 2 iterations), 3 after (Map again + iterations 2 and 3)
    expect(h.sfn.countStateTransitions(first.executionArn)).toBe(6);
    const types = (await h.history(first.executionArn)).map((e) => e.type);
    expect(types).toContain('ExecutionRedriven');
    expect(types.filter((t) => t === 'MapIterationStarted')).toHaveLength(4);
  });

  it('when a top-level Task failed, redrive resumes at it with the same input and earlier states do not re-run', async () => {
    // Prepare
    let deployFails = true;
    const h = harness(async (request) => {
      if (fnOf(request.resource) === 'deploy' && deployFails) throw namedError('DeployFailed', 'boom');
      return { [String(fnOf(request.resource))]: request.input };
    });
    const definition = {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Result: 'prepared', ResultPath: '$.prep', Next: 'Build' },
        Build: { Type: 'Task', Resource: resource('build'), ResultPath: '$.build', Next: 'Deploy' },
        Deploy: {
          Type: 'Task',
          Resource: resource('deploy'),
          InputPath: '$.build',
          ResultPath: '$.deploy',
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const first = await h.run(definition, { v: 1 });
    deployFails = false;

    // Act
    await h.sfn.redriveExecution({ executionArn: first.executionArn });
    const result = await h.sfn.waitForExecution(first.executionArn);

    // Assess
    expect(first.error).toBe('DeployFailed');
    expect(h.calls.map((c) => fnOf(c.resource))).toEqual(['build', 'deploy', 'deploy']);
    expect(h.calls[2]?.input).toEqual(h.calls[1]?.input);
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({
      v: 1,
      prep: 'prepared',
      build: { build: { v: 1, prep: 'prepared' } },
      deploy: { deploy: { build: { v: 1, prep: 'prepared' } } },
    });
    const entered = (await h.history(first.executionArn))
      .filter((e) => e.type.endsWith('StateEntered'))
      .map((e) => e.details.name);
    expect(entered).toEqual(['Prepare', 'Build', 'Deploy', 'Deploy', 'Done']);
    expect(h.sfn.countStateTransitions(first.executionArn)).toBe(5);
  });

  it('when a state inside a Map iteration failed, redrive resumes that iteration at the failed state', async () => {
    // Prepare
    let broken = true;
    const h = harness(async (request) => {
      if (fnOf(request.resource) === 'second' && broken) throw namedError('Broken', 'x');
      return request.input;
    });
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'First',
            States: {
              First: { Type: 'Task', Resource: resource('first'), Next: 'Second' },
              Second: { Type: 'Task', Resource: resource('second'), End: true },
            },
          },
          End: true,
        },
      },
    };
    const first = await h.run(definition, ['only']);
    broken = false;

    // Act
    await h.sfn.redriveExecution({ executionArn: first.executionArn });
    const result = await h.sfn.waitForExecution(first.executionArn);

    // Assess
    expect(h.calls.map((c) => fnOf(c.resource))).toEqual(['first', 'second', 'second']);
    expect(outputOf(result)).toEqual(['only']);
  });

  it('when one Parallel branch failed, redrive re-runs only that branch', async () => {
    // Prepare
    let broken = true;
    const h = harness(async (request) => {
      if (fnOf(request.resource) === 'b' && broken) throw namedError('Broken', 'x');
      return fnOf(request.resource);
    });
    const branch = (fn: string) => ({
      StartAt: fn,
      States: { [fn]: { Type: 'Task', Resource: resource(fn), End: true } },
    });
    const definition = {
      StartAt: 'Both',
      States: { Both: { Type: 'Parallel', Branches: [branch('a'), branch('b')], End: true } },
    };
    const first = await h.run(definition);
    broken = false;

    // Act
    await h.sfn.redriveExecution({ executionArn: first.executionArn });
    const result = await h.sfn.waitForExecution(first.executionArn);

    // Assess
    expect(h.calls.map((c) => fnOf(c.resource))).toEqual(['a', 'b', 'b']);
    expect(outputOf(result)).toEqual(['a', 'b']);
  });

  it('when an execution was stopped during a Wait, redrive resumes at the Wait and $$.Execution.RedriveCount is 1', async () => {
    // Prepare
    const h = harness();
    const definition = {
      StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Seconds: 10, Next: 'Report' },
        Report: { Type: 'Pass', Parameters: { 'redrives.$': '$$.Execution.RedriveCount' }, End: true },
      },
    };
    const stateMachineArn = await h.machine(definition);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await flush();
    await h.sfn.stopExecution({ executionArn });

    // Act
    await h.sfn.redriveExecution({ executionArn });
    await h.clock.advance(10_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ redrives: 1 });
  });

  it('when an execution SUCCEEDED or is RUNNING, redrive is refused with ExecutionNotRedrivable', async () => {
    // Prepare
    const h = harness();
    const done = await h.run({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const waiting = await h.sfn.startExecution({
      stateMachineArn: await h.machine({
        StartAt: 'W',
        States: { W: { Type: 'Wait', Seconds: 5, End: true } },
      }),
    });

    // Act
    const onSucceeded = h.sfn.redriveExecution({ executionArn: done.executionArn });
    const onRunning = h.sfn.redriveExecution({ executionArn: waiting.executionArn });

    // Assess
    await expect(onSucceeded).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
    await expect(onRunning).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
    expect(done.redriveStatus).toBe('NOT_REDRIVABLE');
    expect(done.redriveStatusReason).toBe('Execution is SUCCEEDED and cannot be redriven');
  });
});
