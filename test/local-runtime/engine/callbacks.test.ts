import type { TaskRequest } from '../../../local-runtime/engine';
import { flush, harness, outputOf } from './helpers';

const callbackResource = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** A machine whose Approve task waits for a callback; errors are caught into $.error. */
function approvalMachine(extra: Record<string, unknown> = {}): unknown {
  return {
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: callbackResource,
        Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token', 'stage.$': '$.stage' } },
        ResultPath: '$.approval',
        End: true,
        ...extra,
      },
    },
  };
}

async function startApproval(extra: Record<string, unknown> = {}) {
  const requests: TaskRequest[] = [];
  const h = harness(async (request) => {
    requests.push(request);
    return { StatusCode: 202 };
  });
  const stateMachineArn = await h.machine(approvalMachine(extra));
  const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
  await flush();
  const token = requests[0]?.taskToken ?? '';
  return { h, executionArn, token, requests };
}

describe('callbacks (.waitForTaskToken)', () => {
  it('when the resource waits for a token, the handler gets the token both in the request and via $$.Task.Token', async () => {
    // Act
    const { token, requests } = await startApproval();

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(requests[0]?.input).toEqual({ FunctionName: 'notify', Payload: { token, stage: 'prod' } });
  });

  it('when sendTaskSuccess is called, the task result is the parsed output and the execution continues', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval();
    const whileWaiting = (await h.sfn.describeExecution({ executionArn })).status;

    // Act
    await h.sfn.sendTaskSuccess({ taskToken: token, output: '{"approved":true}' });
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(whileWaiting).toBe('RUNNING');
    expect(outputOf(result)).toEqual({ stage: 'prod', approval: { approved: true } });
    const types = (await h.history(executionArn)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['TaskSubmitted', 'TaskSucceeded']));
  });

  it('when the handler calls sendTaskSuccess before returning, the task still completes', async () => {
    // Prepare
    const h = harness(async (request) => {
      await h.sfn.sendTaskSuccess({ taskToken: request.taskToken ?? '', output: '"early"' });
      return {};
    });

    // Act
    const result = await h.run(approvalMachine(), { stage: 'ppe' });

    // Assess
    expect(outputOf(result)).toEqual({ stage: 'ppe', approval: 'early' });
  });

  it('when sendTaskFailure is called, the task fails with that error and cause (catchable)', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval();

    // Act
    await h.sfn.sendTaskFailure({ taskToken: token, error: 'Rejected', cause: 'not today' });
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('FAILED');
    expect([result.error, result.cause]).toEqual(['Rejected', 'not today']);
  });

  it('when heartbeats stop for longer than HeartbeatSeconds, the task fails with States.HeartbeatTimeout', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval({ HeartbeatSeconds: 60 });

    // Act
    await h.clock.advance(50_000);
    await h.sfn.sendTaskHeartbeat({ taskToken: token });
    await h.clock.advance(50_000);
    const afterHeartbeat = (await h.sfn.describeExecution({ executionArn })).status;
    await h.clock.advance(10_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(afterHeartbeat).toBe('RUNNING');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.HeartbeatTimeout');
  });

  it('when the overall TimeoutSeconds elapses despite heartbeats, the task fails with States.Timeout', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval({ HeartbeatSeconds: 60, TimeoutSeconds: 120 });

    // Act
    await h.clock.advance(50_000);
    await h.sfn.sendTaskHeartbeat({ taskToken: token });
    await h.clock.advance(50_000);
    await h.sfn.sendTaskHeartbeat({ taskToken: token });
    await h.clock.advance(20_000);
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.error).toBe('States.Timeout');
  });

  it('when a callback arrives for a task that timed out, it is rejected with TaskTimedOut', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval({ TimeoutSeconds: 10 });
    await h.clock.advance(10_000);
    await h.sfn.waitForExecution(executionArn);

    // Act
    const success = h.sfn.sendTaskSuccess({ taskToken: token, output: '{}' });
    const heartbeat = h.sfn.sendTaskHeartbeat({ taskToken: token });

    // Assess
    await expect(success).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(heartbeat).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('when a token is unknown or its task already finished, callbacks are rejected with TaskDoesNotExist', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval();
    await h.sfn.sendTaskSuccess({ taskToken: token, output: '{}' });
    await h.sfn.waitForExecution(executionArn);

    // Act
    const unknown = h.sfn.sendTaskSuccess({ taskToken: 'no-such-token', output: '{}' });
    const again = h.sfn.sendTaskFailure({ taskToken: token, error: 'Late' });

    // Assess
    await expect(unknown).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await expect(again).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('when sendTaskSuccess output is not JSON, it is rejected with InvalidOutput and the task keeps waiting', async () => {
    // Prepare
    const { h, executionArn, token } = await startApproval();

    // Act
    const bad = h.sfn.sendTaskSuccess({ taskToken: token, output: 'not json' });

    // Assess
    await expect(bad).rejects.toMatchObject({ name: 'InvalidOutput' });
    expect((await h.sfn.describeExecution({ executionArn })).status).toBe('RUNNING');
  });

  it('when a callback task fails and Retry matches, a new token is issued for the next attempt', async () => {
    // Prepare
    const { h, executionArn, token, requests } = await startApproval({
      Retry: [{ ErrorEquals: ['Rejected'], IntervalSeconds: 1 }],
    });
    await h.sfn.sendTaskFailure({ taskToken: token, error: 'Rejected' });

    // Act
    await h.clock.advance(1000);
    const second = requests[1]?.taskToken ?? '';
    await h.sfn.sendTaskSuccess({ taskToken: second, output: '"ok"' });
    const result = await h.sfn.waitForExecution(executionArn);

    // Assess
    expect(second).not.toBe(token);
    expect(requests[1]?.attempt).toBe(2);
    expect(outputOf(result)).toEqual({ stage: 'prod', approval: 'ok' });
  });
});
