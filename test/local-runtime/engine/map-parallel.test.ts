import { flush, harness, namedError, outputOf, single } from './helpers';

const resource = 'arn:aws:lambda:us-east-1:000000000000:function:item';

function mapState(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'Map',
    ItemsPath: '$.items',
    ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: resource, End: true } } },
    ...extra,
  };
}

/** A handler that resolves only when the test says so, to observe concurrency. */
function gatedHarness() {
  const gates: Array<() => void> = [];
  const h = harness(
    (request) =>
      new Promise((resolve) => {
        gates.push(() => resolve(request.input));
      }),
  );
  return { h, gates };
}

describe('Map state', () => {
  it('when a Map runs, each item goes through the processor and results keep item order', async () => {
    // Prepare
    const h = harness(async (request) => ({ doubled: (request.input as number) * 2 }));

    // Act
    const result = await h.run(single(mapState({ ResultPath: '$.results' })), { items: [1, 2, 3] });

    // Assess
    expect(outputOf(result)).toEqual({
      items: [1, 2, 3],
      results: [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }],
    });
  });

  it('when ItemSelector is set, each iteration input is built from $$.Map.Item and the state input', async () => {
    // Prepare
    const h = harness();
    const definition = single(
      mapState({
        ItemSelector: { 'index.$': '$$.Map.Item.Index', 'value.$': '$$.Map.Item.Value', 'env.$': '$.env' },
      }),
    );

    // Act
    const result = await h.run(definition, { env: 'prod', items: ['a', 'b'] });

    // Assess
    expect(outputOf(result)).toEqual([
      { index: 0, value: 'a', env: 'prod' },
      { index: 1, value: 'b', env: 'prod' },
    ]);
  });

  it('when the legacy Iterator and Parameters fields are used, they behave like ItemProcessor and ItemSelector', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Map',
      ItemsPath: '$.items',
      Parameters: { 'v.$': '$$.Map.Item.Value' },
      Iterator: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
    });

    // Act
    const result = await h.run(definition, { items: [1, 2] });

    // Assess
    expect(outputOf(result)).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('when MaxConcurrency is 1, iterations run one after another', async () => {
    // Prepare
    const { h, gates } = gatedHarness();
    const stateMachineArn = await h.machine(single(mapState({ MaxConcurrency: 1 })));
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"items":[1,2,3]}' });

    // Act
    await flush();
    const started: number[] = [h.calls.length];
    for (let i = 0; i < 3; i++) {
      gates[i]?.();
      await flush();
      started.push(h.calls.length);
    }
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(started).toEqual([1, 2, 3, 3]);
    expect(outputOf(result)).toEqual([1, 2, 3]);
  });

  it('when MaxConcurrency is 0 (or absent), all iterations start at once; 2 caps them at 2', async () => {
    // Prepare
    const unlimited = gatedHarness();
    const capped = gatedHarness();
    await unlimited.h.sfn.startExecution({
      stateMachineArn: await unlimited.h.machine(single(mapState({ MaxConcurrency: 0 }))),
      input: '{"items":[1,2,3,4]}',
    });
    await capped.h.sfn.startExecution({
      stateMachineArn: await capped.h.machine(single(mapState({ MaxConcurrency: 2 }))),
      input: '{"items":[1,2,3,4]}',
    });

    // Act
    await flush();

    // Assess
    expect(unlimited.h.calls).toHaveLength(4);
    expect(capped.h.calls).toHaveLength(2);
  });

  it('when one iteration fails, the Map fails with that error, in-flight siblings are aborted and Catch sees it', async () => {
    // Prepare
    const signals: AbortSignal[] = [];
    const h = harness((request) => {
      signals.push(request.signal);
      if (request.input === 'bad') return Promise.reject(namedError('ItemFailed', 'bad item'));
      return new Promise(() => undefined);
    });
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          ...mapState(),
          Catch: [{ ErrorEquals: ['ItemFailed'], ResultPath: '$.error', Next: 'Handled' }],
          Next: 'Handled',
        },
        Handled: { Type: 'Pass', End: true },
      },
    };

    // Act
    const result = await h.run(definition, { items: ['slow', 'bad', 'slow'] });

    // Assess
    expect(outputOf(result)).toEqual({
      items: ['slow', 'bad', 'slow'],
      error: { Error: 'ItemFailed', Cause: 'bad item' },
    });
    expect(signals.every((s) => s.aborted || s === signals[1])).toBe(true);
    const types = (await h.history(result.executionArn)).map((e) => e.type);
    expect(types.filter((t) => t === 'MapIterationAborted')).toHaveLength(2);
    expect(types).toContain('MapStateFailed');
  });

  it('when failures stay within ToleratedFailureCount, the Map succeeds with error objects for failed items', async () => {
    // Prepare
    const h = harness(async (request) => {
      if (request.input === 2) throw namedError('Odd', 'two');
      return request.input;
    });

    // Act
    const result = await h.run(single(mapState({ ToleratedFailureCount: 1 })), { items: [1, 2, 3] });

    // Assess
    expect(outputOf(result)).toEqual([1, { Error: 'Odd', Cause: 'two' }, 3]);
  });

  it('when failures exceed ToleratedFailurePercentage, the Map fails with States.ExceedToleratedFailureThreshold', async () => {
    // Prepare
    const h = harness(async (request) => {
      if ((request.input as number) > 1) throw namedError('Nope', 'x');
      return request.input;
    });

    // Act
    const result = await h.run(single(mapState({ ToleratedFailurePercentage: 50 })), { items: [1, 2, 3] });

    // Assess
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('when a Map has ResultSelector and OutputPath, they apply to the array of results', async () => {
    // Prepare
    const h = harness();
    const definition = single(
      mapState({
        ResultSelector: { 'count.$': 'States.ArrayLength($)' },
        ResultPath: '$.summary',
        OutputPath: '$.summary',
      }),
    );

    // Act
    const result = await h.run(definition, { items: [1, 2, 3] });

    // Assess
    expect(outputOf(result)).toEqual({ count: 3 });
  });

  it('when a Map is retried, all iterations run again', async () => {
    // Prepare
    let failOnce = true;
    const h = harness(async (request) => {
      if (request.input === 2 && failOnce) {
        failOnce = false;
        throw namedError('Transient', 'x');
      }
      return request.input;
    });
    const stateMachineArn = await h.machine(
      single(mapState({ MaxConcurrency: 1, Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 1 }] })),
    );

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"items":[1,2,3]}' });
    await h.clock.advance(1000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(h.calls.map((c) => c.input)).toEqual([1, 2, 1, 2, 3]);
    expect(outputOf(result)).toEqual([1, 2, 3]);
  });

  it('when ItemsPath does not point to an array, the execution fails with States.Runtime', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single(mapState()), { items: 'nope' });

    // Assess
    expect(result.error).toBe('States.Runtime');
  });
});

describe('Parallel state', () => {
  const branch = (name: string) => ({
    StartAt: name,
    States: {
      [name]: { Type: 'Task', Resource: resource, Parameters: { branch: name, 'in.$': '$.v' }, End: true },
    },
  });

  it('when a Parallel runs, every branch gets the input and results come back in branch order', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Parallel',
      Branches: [branch('A'), branch('B')],
      ResultPath: '$.out',
    });

    // Act
    const result = await h.run(definition, { v: 1 });

    // Assess
    expect(outputOf(result)).toEqual({
      v: 1,
      out: [
        { branch: 'A', in: 1 },
        { branch: 'B', in: 1 },
      ],
    });
  });

  it('when Parameters and ResultSelector are set, they shape branch input and the combined result', async () => {
    // Prepare
    const h = harness();
    const definition = single({
      Type: 'Parallel',
      Parameters: { 'v.$': '$.deep.v' },
      Branches: [branch('A'), branch('B')],
      ResultSelector: { 'first.$': '$[0].in', 'second.$': '$[1].branch' },
    });

    // Act
    const result = await h.run(definition, { deep: { v: 9 } });

    // Assess
    expect(outputOf(result)).toEqual({ first: 9, second: 'B' });
  });

  it('when a branch fails, the Parallel fails with its error and Retry/Catch apply to the whole state', async () => {
    // Prepare
    const h = harness(async (request) => {
      if ((request.input as { branch: string }).branch === 'B') throw namedError('BranchBroke', 'B failed');
      return 'ok';
    });
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [branch('A'), branch('B')],
          Retry: [{ ErrorEquals: ['BranchBroke'], MaxAttempts: 1, IntervalSeconds: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const stateMachineArn = await h.machine(definition);

    // Act
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"v":1}' });
    await flush();
    const callsBeforeRetry = h.calls.length;
    await h.clock.advance(2000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(callsBeforeRetry).toBe(2);
    expect(h.calls).toHaveLength(4);
    expect(outputOf(result)).toEqual({ Error: 'BranchBroke', Cause: 'B failed' });
  });
});
