import { ManualClock } from '../../../shared/clock';
import {
  LocalStepFunctions,
  type EngineSnapshot,
  type TaskHandler,
  type TaskRequest,
} from '../../../local-runtime/engine';
import { flush, harness, namedError, outputOf } from './helpers';

const callbackResource = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Approve (waits for a callback, 10 minutes at most) → Done. */
const approvalMachine = {
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: callbackResource,
      Parameters: { 'token.$': '$$.Task.Token', 'stage.$': '$.stage' },
      TimeoutSeconds: 600,
      ResultPath: '$.approval',
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
};

/** Deploy (a plain task) → Bake (Wait 100 s) → Check (a plain task). */
const bakeMachine = {
  StartAt: 'Deploy',
  States: {
    Deploy: { Type: 'Task', Resource: 'deploy', ResultPath: '$.deployed', Next: 'Bake' },
    Bake: { Type: 'Wait', Seconds: 100, Next: 'Check' },
    Check: { Type: 'Task', Resource: 'check', ResultPath: '$.checked', End: true },
  },
};

/** What a process writes to disk and the next one reads back. */
function throughJson(snapshot: EngineSnapshot): EngineSnapshot {
  return JSON.parse(JSON.stringify(snapshot)) as EngineSnapshot;
}

/** A second engine, as a restarted process builds it: the clock resumes at the snapshot's time. */
function restored(snapshot: EngineSnapshot, handler: TaskHandler = async (r) => r.input) {
  const clock = new ManualClock(snapshot.takenAt);
  const calls: TaskRequest[] = [];
  const sfn = new LocalStepFunctions({
    clock,
    taskHandler: (request) => {
      calls.push(request);
      return handler(request);
    },
  });
  sfn.restore(throughJson(snapshot));
  return { sfn, clock, calls };
}

/** A handler that never answers: the process stops while the task is mid-flight. */
const neverAnswers: TaskHandler = () => new Promise(() => undefined);

describe('engine snapshots: stopping and picking up again', () => {
  it('when restored into a new engine, describe, history and the list answer as before', async () => {
    // Prepare: one execution succeeded, one failed, one waits for a callback
    const h = harness(async (request) => {
      if (request.resource === 'check') throw namedError('AlarmBreached', 'p99 above 2 s');
      return request.taskToken ? { StatusCode: 202 } : { ok: true };
    });
    const succeeded = await h.run({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, { a: 1 });
    const bakeArn = await h.machine(bakeMachine);
    const { executionArn: failedArn } = await h.sfn.startExecution({ stateMachineArn: bakeArn, input: '{}' });
    await h.clock.advance(100_000);
    const approvalArn = await h.machine(approvalMachine);
    const { executionArn: waitingArn } = await h.sfn.startExecution({
      stateMachineArn: approvalArn,
      name: 'release-v1',
      input: '{"stage":"prod"}',
    });
    await flush();
    const arns = [succeeded.executionArn, failedArn, waitingArn];
    const before = {
      list: await h.sfn.listExecutions(),
      describe: await Promise.all(arns.map((executionArn) => h.sfn.describeExecution({ executionArn }))),
      history: await Promise.all(arns.map((executionArn) => h.history(executionArn))),
    };

    // Act
    const { sfn } = restored(h.sfn.snapshot());

    // Assess
    expect(await sfn.listExecutions()).toEqual(before.list);
    expect(await Promise.all(arns.map((executionArn) => sfn.describeExecution({ executionArn })))).toEqual(
      before.describe,
    );
    expect(
      await Promise.all(
        arns.map(async (executionArn) => (await sfn.getExecutionHistory({ executionArn })).events),
      ),
    ).toEqual(before.history);
    expect(before.describe.map((d) => d.status)).toEqual(['SUCCEEDED', 'FAILED', 'RUNNING']);
    expect(await sfn.describeStateMachine({ stateMachineArn: approvalArn })).toEqual(
      await h.sfn.describeStateMachine({ stateMachineArn: approvalArn }),
    );
    expect(sfn.countStateTransitions(failedArn)).toBe(h.sfn.countStateTransitions(failedArn));
  });

  it('when a task waited for its callback, the restored engine accepts the same token and the execution moves on', async () => {
    // Prepare
    const h = harness(async () => ({ StatusCode: 202 }));
    const stateMachineArn = await h.machine(approvalMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
    await flush();
    const token = h.calls[0]?.taskToken ?? '';
    await h.sfn.suspend();
    const second = restored(h.sfn.snapshot());

    // Act
    second.sfn.resumeExecutions();
    await flush();
    await second.sfn.sendTaskSuccess({ taskToken: token, output: '{"approvedBy":"ana@example.com"}' });
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ stage: 'prod', approval: { approvedBy: 'ana@example.com' } });
    expect(second.calls).toHaveLength(0); // the approval request was not sent again
    const types = (await second.sfn.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(second.sfn.countStateTransitions(executionArn)).toBe(2);
  });

  it('when suspended, the execution stays RUNNING and its history records no abort', async () => {
    // Prepare
    const h = harness(async () => ({ StatusCode: 202 }));
    const stateMachineArn = await h.machine(approvalMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
    await flush();

    // Act
    await h.sfn.suspend();

    // Assess
    expect((await h.sfn.describeExecution({ executionArn })).status).toBe('RUNNING');
    expect((await h.history(executionArn)).map((e) => e.type).filter((t) => t.includes('Abort'))).toEqual([]);
  });

  it('when the callback comes after the suspend, the restored engine still gets it', async () => {
    // Prepare: an approval arrives while the process is shutting down
    const h = harness(async () => ({ StatusCode: 202 }));
    const stateMachineArn = await h.machine(approvalMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
    await flush();
    await h.sfn.suspend();
    await h.sfn.sendTaskSuccess({ taskToken: h.calls[0]?.taskToken ?? '', output: '"late yes"' });
    const second = restored(h.sfn.snapshot());

    // Act
    second.sfn.resumeExecutions();
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(outputOf(result)).toEqual({ stage: 'prod', approval: 'late yes' });
  });

  it('when an execution starts after the suspend, it runs in the restored engine', async () => {
    // Prepare
    const h = harness(async () => ({ ok: true }));
    const stateMachineArn = await h.machine(bakeMachine);
    await h.sfn.suspend();
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{}' });
    await flush();
    const second = restored(h.sfn.snapshot(), async () => ({ ok: true }));

    // Act
    second.sfn.resumeExecutions();
    await second.clock.advance(100_000);
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(h.calls).toHaveLength(0);
    expect(second.calls.map((c) => c.resource)).toEqual(['deploy', 'check']);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('when a callback task is restored, its TimeoutSeconds keeps counting from before the stop', async () => {
    // Prepare: 400 of the 600 seconds pass before the stop
    const h = harness(async () => ({ StatusCode: 202 }));
    const stateMachineArn = await h.machine(approvalMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
    await flush();
    await h.clock.advance(400_000);
    await h.sfn.suspend();
    const second = restored(h.sfn.snapshot());
    second.sfn.resumeExecutions();

    // Act
    await second.clock.advance(199_000);
    const stillWaiting = (await second.sfn.describeExecution({ executionArn })).status;
    await second.clock.advance(1_000);
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(stillWaiting).toBe('RUNNING');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
    expect(result.stopDate!.getTime() - result.startDate.getTime()).toBe(600_000);
  });

  it('when a Wait state is restored, it waits only the time that was left', async () => {
    // Prepare: the snapshot is taken 40 s into the 100-second bake, without suspending (as at a crash)
    const h = harness(async () => ({ ok: true }));
    const stateMachineArn = await h.machine(bakeMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{}' });
    await flush();
    await h.clock.advance(40_000);
    const second = restored(h.sfn.snapshot(), async () => ({ ok: true }));
    second.sfn.resumeExecutions();

    // Act
    await second.clock.advance(59_000);
    const at99 = (await second.sfn.describeExecution({ executionArn })).status;
    await second.clock.advance(1_000);
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(at99).toBe('RUNNING');
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stopDate!.getTime() - result.startDate.getTime()).toBe(100_000);
    expect(second.calls.map((c) => c.resource)).toEqual(['check']); // Deploy is not run again
    const events = (await second.sfn.getExecutionHistory({ executionArn })).events;
    expect(events.filter((e) => e.type === 'WaitStateEntered')).toHaveLength(1);
  });

  it('when a task was mid-flight, the restored engine runs that attempt again with the same input', async () => {
    // Prepare
    const h = harness(neverAnswers);
    const stateMachineArn = await h.machine(bakeMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"service":"orders"}' });
    await flush();
    const second = restored(h.sfn.snapshot(), async (request) =>
      request.resource === 'deploy' ? { revision: 7 } : { ok: true },
    );

    // Act
    second.sfn.resumeExecutions();
    await second.clock.advance(100_000);
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(outputOf(result)).toEqual({ service: 'orders', deployed: { revision: 7 }, checked: { ok: true } });
    expect(second.calls[0]).toMatchObject({ resource: 'deploy', input: { service: 'orders' }, attempt: 1 });
    const types = (await second.sfn.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types.slice(0, 6)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskScheduled', // the re-run after the restart
      'TaskStarted',
    ]);
  });

  it('when a callback task was mid-flight, the re-run gets the same token', async () => {
    // Prepare
    const h = harness(neverAnswers);
    const stateMachineArn = await h.machine(approvalMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{"stage":"prod"}' });
    await flush();
    const second = restored(h.sfn.snapshot(), async () => ({ StatusCode: 202 }));

    // Act
    second.sfn.resumeExecutions();
    await flush();
    await second.sfn.sendTaskSuccess({ taskToken: second.calls[0]?.taskToken ?? '', output: '"yes"' });
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(second.calls[0]?.taskToken).toBe(h.calls[0]?.taskToken);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('when a Map waits in its second iteration, the restored engine keeps the first one and resumes the second', async () => {
    // Prepare
    const h = harness(async () => ({ StatusCode: 202 }));
    const mapMachine = {
      StartAt: 'Each region',
      States: {
        'Each region': {
          Type: 'Map',
          ItemsPath: '$.regions',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'Approve',
            States: {
              Approve: {
                Type: 'Task',
                Resource: callbackResource,
                Parameters: { 'token.$': '$$.Task.Token', 'region.$': '$' },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const stateMachineArn = await h.machine(mapMachine);
    const input = '{"regions":["eu-west-1","us-east-1"]}';
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input });
    await flush();
    await h.sfn.sendTaskSuccess({ taskToken: h.calls[0]?.taskToken ?? '', output: '"eu ok"' });
    await flush();
    await h.sfn.suspend();
    const second = restored(h.sfn.snapshot());

    // Act
    second.sfn.resumeExecutions();
    await flush();
    await second.sfn.sendTaskSuccess({ taskToken: h.calls[1]?.taskToken ?? '', output: '"us ok"' });
    const result = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(outputOf(result)).toEqual(['eu ok', 'us ok']);
    expect(second.calls).toHaveLength(0);
    const types = (await second.sfn.getExecutionHistory({ executionArn })).events.map((e) => e.type);
    expect(types.filter((t) => t === 'MapIterationStarted')).toHaveLength(2);
    expect(types.filter((t) => t === 'MapStateStarted')).toHaveLength(1);
  });

  it('when a restored execution fails, a redrive enters the failed state afresh', async () => {
    // Prepare: Check fails after the restart
    const h = harness(neverAnswers);
    const stateMachineArn = await h.machine(bakeMachine);
    const { executionArn } = await h.sfn.startExecution({ stateMachineArn, input: '{}' });
    await flush();
    let checks = 0;
    const second = restored(h.sfn.snapshot(), async (request) => {
      if (request.resource === 'check' && ++checks === 1) throw namedError('AlarmBreached', 'p99');
      return { ok: true };
    });
    second.sfn.resumeExecutions();
    await second.clock.advance(100_000);
    const failed = await second.sfn.waitForExecution(executionArn);

    // Act
    await second.sfn.redriveExecution({ executionArn });
    const redriven = await second.sfn.waitForExecution(executionArn);

    // Assess
    expect(failed.status).toBe('FAILED');
    expect(redriven.status).toBe('SUCCEEDED');
    const entered = (await second.sfn.getExecutionHistory({ executionArn })).events
      .filter((e) => e.type === 'TaskStateEntered')
      .map((e) => e.details.name);
    expect(entered).toEqual(['Deploy', 'Check', 'Check']);
  });

  it('when the snapshot has another format version, restore refuses it and says which versions', () => {
    // Prepare
    const snapshot = { ...harness().sfn.snapshot(), version: 99 } as unknown as EngineSnapshot;

    // Act
    const restore = () =>
      new LocalStepFunctions({ clock: new ManualClock(), taskHandler: neverAnswers }).restore(snapshot);

    // Assess
    expect(restore).toThrow('the engine snapshot has format version 99; this engine reads version 1');
  });
});
