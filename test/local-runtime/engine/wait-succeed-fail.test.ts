import { flush, harness, outputOf, single } from './helpers';

describe('Wait, Succeed and Fail states', () => {
  it.each([
    ['Seconds', { Seconds: 90 }, {}, 90_000],
    ['SecondsPath', { SecondsPath: '$.delay' }, { delay: 30 }, 30_000],
    ['Timestamp', { Timestamp: '2026-01-01T01:00:00Z' }, {}, 3_600_000],
    ['TimestampPath', { TimestampPath: '$.until' }, { until: '2026-01-01T00:00:10+00:00' }, 10_000],
  ])(
    'when a Wait uses %s, it finishes exactly when the clock reaches the due time',
    async (_label, fields, input, dueMs) => {
      // Prepare
      const h = harness();
      const stateMachineArn = await h.machine(single({ Type: 'Wait', ...fields }));
      const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: JSON.stringify(input) });

      // Act
      await h.clock.advance(dueMs - 1);
      const before = (await h.sfn.describeExecution({ executionArn })).status;
      await h.clock.advance(1);
      const after = await h.sfn.waitForExecution(executionArn);

      // Assess
      expect(before).toBe('RUNNING');
      expect(after.status).toBe('SUCCEEDED');
      expect(outputOf(after)).toEqual(input);
    },
  );

  it('when a Wait timestamp is already in the past, it continues immediately', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Wait', Timestamp: '2020-01-01T00:00:00Z' }));

    // Assess
    expect(result.status).toBe('SUCCEEDED');
  });

  it('when SecondsPath points to a non-number, the execution fails with States.Runtime', async () => {
    // Prepare
    const h = harness();

    // Act
    const result = await h.run(single({ Type: 'Wait', SecondsPath: '$.delay' }), { delay: 'soon' });

    // Assess
    expect(result.error).toBe('States.Runtime');
  });

  it('when a Succeed state is reached, the execution succeeds with its filtered input', async () => {
    // Prepare
    const h = harness();
    const definition = {
      StartAt: 'Done',
      States: { Done: { Type: 'Succeed', InputPath: '$.a', OutputPath: '$.b' } },
    };

    // Act
    const result = await h.run(definition, { a: { b: 'yes' } });

    // Assess
    expect(outputOf(result)).toBe('yes');
  });

  it('when a Fail state has Error and Cause, the execution fails with them', async () => {
    // Prepare
    const h = harness();
    const definition = {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Error: 'Rejected', Cause: 'approval denied' } },
    };

    // Act
    const result = await h.run(definition);

    // Assess
    expect(result.status).toBe('FAILED');
    expect([result.error, result.cause]).toEqual(['Rejected', 'approval denied']);
  });

  it('when a Fail state uses ErrorPath and CausePath (path and intrinsic), it reads them from the input', async () => {
    // Prepare
    const h = harness();
    const definition = {
      StartAt: 'Stop',
      States: {
        Stop: { Type: 'Fail', ErrorPath: '$.err', CausePath: "States.Format('stage {} failed', $.stage)" },
      },
    };

    // Act
    const result = await h.run(definition, { err: 'StageFailed', stage: 'prod' });

    // Assess
    expect([result.error, result.cause]).toEqual(['StageFailed', 'stage prod failed']);
  });

  it('when a Wait is pending and the execution is stopped, it ends ABORTED without waiting for the clock', async () => {
    // Prepare
    const h = harness();
    const stateMachineArn = await h.machine(single({ Type: 'Wait', Seconds: 3600 }));
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn });
    await flush();

    // Act
    await h.sfn.stopExecution({ executionArn, error: 'Manual', cause: 'operator' });
    const result = await h.sfn.describeExecution({ executionArn });

    // Assess
    expect(result.status).toBe('ABORTED');
    expect([result.error, result.cause]).toEqual(['Manual', 'operator']);
    expect(h.clock.pending).toBe(0);
    expect((await h.history(executionArn)).map((e) => e.type).slice(-2)).toEqual([
      'WaitStateAborted',
      'ExecutionAborted',
    ]);
  });
});
