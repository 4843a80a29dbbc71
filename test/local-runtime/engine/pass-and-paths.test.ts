import { harness, outputOf, single } from './helpers';

describe('Pass state and path fields', () => {
  it('when a Pass state has a Result, it outputs the Result', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass', Result: { greeting: 'hi' } }), { a: 1 });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ greeting: 'hi' });
  });

  it('when a Pass state has neither Result nor Parameters, it passes its input through', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass' }), { a: 1 });

    // Assess
    expect(outputOf(result)).toEqual({ a: 1 });
  });

  it('when Parameters mixes static and .$ fields, it builds the effective input', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Pass',
      Parameters: {
        static: 'x',
        'fromInput.$': '$.user.name',
        nested: { 'list.$': '$.items[*].id', plain: [1, { 'inArray.$': '$.user.name' }] },
        'name.$': '$$.Execution.Name',
        'state.$': '$$.State.Name',
      },
    });

    // Act
    const result = await h.run(definition, { user: { name: 'ada' }, items: [{ id: 1 }, { id: 2 }] });

    // Assess
    const output = outputOf(result) as Record<string, unknown>;
    expect(output).toEqual({
      static: 'x',
      fromInput: 'ada',
      nested: { list: [1, 2], plain: [1, { inArray: 'ada' }] },
      name: result.name,
      state: 'Only',
    });
  });

  it('when InputPath selects a field, Parameters and Result see only that field', async () => {
    // Prepare
    const h = harness();
    const definition = single({ Type: 'Pass', InputPath: '$.inner', Parameters: { 'v.$': '$.value' } });

    // Act
    const result = await h.run(definition, { inner: { value: 42 }, other: true });

    // Assess
    expect(outputOf(result)).toEqual({ v: 42 });
  });

  it('when InputPath is null, the effective input is an empty object', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass', InputPath: null }), { a: 1 });

    // Assess
    expect(outputOf(result)).toEqual({});
  });

  it('when ResultPath names a nested field, it writes the result there and keeps the rest of the input', async () => {
    // Prepare
    const h = harness();
    const definition = single({ Type: 'Pass', Result: 'done', ResultPath: '$.a.b.c' });

    // Act
    const result = await h.run(definition, { keep: 1, a: { other: 2 } });

    // Assess
    expect(outputOf(result)).toEqual({ keep: 1, a: { other: 2, b: { c: 'done' } } });
  });

  it('when ResultPath is null, it discards the result and outputs the raw input', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(
      single({ Type: 'Pass', InputPath: '$.x', Result: 'ignored', ResultPath: null }),
      { x: 1, y: 2 },
    );

    // Assess
    expect(outputOf(result)).toEqual({ x: 1, y: 2 });
  });

  it('when OutputPath selects a field, only that field leaves the state; null gives an empty object', async () => {
    // Prepare
    const h = harness();

    // Act
    const selected = await h.run(single({ Type: 'Pass', OutputPath: '$.keep' }), { keep: { k: 1 }, drop: 2 });
    const emptied = await h.run(single({ Type: 'Pass', OutputPath: null }), { keep: 1 });

    // Assess
    expect(outputOf(selected)).toEqual({ k: 1 });
    expect(outputOf(emptied)).toEqual({});
  });

  it('when a Task has ResultSelector, ResultPath and OutputPath, they apply in that order to the result', async () => {
    // Prepare
    const h = harness(async () => ({ Payload: { id: 7, noise: 'x' }, StatusCode: 200 }));
    const definition = single({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      ResultSelector: { 'id.$': '$.Payload.id', 'code.$': '$.StatusCode' },
      ResultPath: '$.result',
      OutputPath: '$.result',
    });

    // Act
    const result = await h.run(definition, { original: true });

    // Assess
    expect(outputOf(result)).toEqual({ id: 7, code: 200 });
  });

  it('when the context object is read from Parameters, it exposes execution, machine and state fields', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Pass',
      Parameters: {
        'id.$': '$$.Execution.Id',
        'input.$': '$$.Execution.Input',
        'start.$': '$$.Execution.StartTime',
        'redrives.$': '$$.Execution.RedriveCount',
        'machine.$': '$$.StateMachine.Name',
        'machineId.$': '$$.StateMachine.Id',
        'entered.$': '$$.State.EnteredTime',
        'retries.$': '$$.State.RetryCount',
      },
    });

    // Act
    const result = await h.run(definition, { q: 1 });

    // Assess
    const output = outputOf(result) as Record<string, unknown>;
    expect(output).toEqual({
      id: result.executionArn,
      input: { q: 1 },
      start: '2026-01-01T00:00:00.000Z',
      redrives: 0,
      machine: expect.stringMatching(/^machine-/),
      machineId: result.stateMachineArn,
      entered: '2026-01-01T00:00:00.000Z',
      retries: 0,
    });
  });

  it('when a path in Parameters is missing, the execution fails with States.Runtime', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'x.$': '$.missing' } }), { a: 1 });

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain("'$.missing'");
  });

  it('when a value is explicitly null, a path to it resolves to null rather than failing', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'x.$': '$.n' } }), { n: null });

    // Assess
    expect(outputOf(result)).toEqual({ x: null });
  });

  it('when ResultPath cannot be applied to a non-object input, the state fails with States.ResultPathMatchFailure', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Pass', Result: 1, ResultPath: '$.x' }), 'a string');

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ResultPathMatchFailure');
  });

  it('when bracket notation and array indexes are used in reference paths, they resolve', async () => {
    // Prepare
    const h = harness();
    const definition = single({ Type: 'Pass', InputPath: "$['odd key'].list[1]", ResultPath: "$['out']" });

    // Act
    const result = await h.run(definition, { 'odd key': { list: ['a', 'b'] } });

    // Assess
    expect(outputOf(result)).toEqual({ 'odd key': { list: ['a', 'b'] }, out: 'b' });
  });
});
