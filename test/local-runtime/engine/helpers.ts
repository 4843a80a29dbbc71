/** Shared fixtures for the local Step Functions engine tests. */
import { ManualClock } from '../../../shared/clock';
import {
  LocalStepFunctions,
  type DescribeExecutionOutput,
  type HistoryEvent,
  type TaskHandler,
  type TaskRequest,
} from '../../../local-runtime/engine';

export interface Harness {
  sfn: LocalStepFunctions;
  clock: ManualClock;
  /** Every TaskRequest the engine made, in order. */
  calls: TaskRequest[];
  /** Creates a machine (unique name per call) and returns its ARN. */
  machine(definition: unknown, name?: string): Promise<string>;
  /** Starts an execution of `definition` with `input` and waits for it to close (no clock advance). */
  run(definition: unknown, input?: unknown): Promise<DescribeExecutionOutput & { executionArn: string }>;
  history(executionArn: string): Promise<HistoryEvent[]>;
}

let machineCounter = 0;

/** Builds an engine on a ManualClock whose task handler records calls and delegates to `handler`. */
export function harness(
  handler: TaskHandler = async (request) => request.input,
  random?: () => number,
): Harness {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const calls: TaskRequest[] = [];
  const sfn = new LocalStepFunctions({
    clock,
    taskHandler: (request) => {
      calls.push(request);
      return handler(request);
    },
    ...(random ? { random } : {}),
  });
  const machine = async (definition: unknown, name = `machine-${++machineCounter}`): Promise<string> =>
    (await sfn.createStateMachine({ name, definition })).stateMachineArn;
  return {
    sfn,
    clock,
    calls,
    machine,
    async run(definition, input = {}) {
      const stateMachineArn = await machine(definition);
      const { executionArn } = await sfn.startExecution({ stateMachineArn, input: JSON.stringify(input) });
      return { ...(await sfn.waitForExecution(executionArn)), executionArn };
    },
    async history(executionArn) {
      return (await sfn.getExecutionHistory({ executionArn })).events;
    },
  };
}

/** A one-state machine around `state` (which must not set Next/End). */
export function single(state: Record<string, unknown>): unknown {
  return { StartAt: 'Only', States: { Only: { ...state, End: true } } };
}

/** Parses describe output. */
export function outputOf(description: DescribeExecutionOutput): unknown {
  return description.output === undefined ? undefined : JSON.parse(description.output);
}

/** An Error with a chosen name, as a Lambda function would throw it. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Lets pending promise callbacks run (no clock movement). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
