/**
 * Types for Amazon States Language definitions (JSONPath flavour) and for the engine's public API.
 * ASL types are deliberately loose (`unknown` payloads): definitions are validated at creation time.
 */
import type { Clock } from '../../shared/clock';

/** A JSON value as it flows between states. */
export type Json = unknown;

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

interface CommonFields {
  Type: StateType;
  Comment?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
}

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

export interface PassState extends CommonFields {
  Type: 'Pass';
  Result?: Json;
  Parameters?: Json;
  ResultPath?: string | null;
}

export interface TaskState extends CommonFields {
  Type: 'Task';
  Resource: string;
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

/** A Choice rule: a boolean expression over the input, possibly nested via And/Or/Not. */
export type ChoiceRule = Record<string, unknown> & { Next?: string };

export interface ChoiceState extends CommonFields {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export interface WaitState extends CommonFields {
  Type: 'Wait';
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

export interface SucceedState extends CommonFields {
  Type: 'Succeed';
}

export interface FailState extends CommonFields {
  Type: 'Fail';
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
}

export interface ParallelState extends CommonFields {
  Type: 'Parallel';
  Branches: StateMachineDefinition[];
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface MapState extends CommonFields {
  Type: 'Map';
  ItemsPath?: string;
  ItemSelector?: Json;
  /** Legacy name of ItemSelector. */
  Parameters?: Json;
  ItemProcessor?: StateMachineDefinition & { ProcessorConfig?: { Mode?: string } };
  /** Legacy name of ItemProcessor. */
  Iterator?: StateMachineDefinition;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export type State =
  PassState | TaskState | ChoiceState | WaitState | SucceedState | FailState | ParallelState | MapState;

/** A state machine, or a Parallel branch / Map item processor (same shape). */
export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
  Version?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------

/** What the engine asks a TaskHandler to do for one Task attempt. */
export interface TaskRequest {
  /** The Task's Resource string, e.g. `arn:aws:states:::lambda:invoke.waitForTaskToken` or a Lambda ARN. */
  resource: string;
  /** The effective input after InputPath + Parameters. */
  input: unknown;
  /** Set when the resource ends with `.waitForTaskToken`. */
  taskToken?: string;
  stateName: string;
  executionArn: string;
  /** 1 for the first try, 2 for the first retry... */
  attempt: number;
  /** Aborted when the state's TimeoutSeconds elapses or the execution stops. */
  signal: AbortSignal;
}

/**
 * Runs one Task attempt. The resolved value is the task result (ignored for `.waitForTaskToken` resources,
 * whose result comes from `sendTaskSuccess`). A rejection fails the attempt; see `toStatesError` for the
 * error mapping (`errorName`/`name` → Error, `cause`/`message` → Cause).
 */
export type TaskHandler = (request: TaskRequest) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  clock: Clock;
  taskHandler: TaskHandler;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `000000000000`. */
  accountId?: string;
  /** Source of randomness in [0, 1) for Retry jitter and States.MathRandom; default Math.random. */
  random?: () => number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type RedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE';

export interface DescribeExecutionOutput {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON string, as in the SFN API. */
  input: string;
  /** JSON string; set once SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
  redriveDate?: Date;
  redriveStatus: RedriveStatus;
  redriveStatusReason?: string;
  /** Billable state transitions so far (see `countStateTransitions`). */
  stateTransitions: number;
}

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
}

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionTimedOut'
  | 'ExecutionAborted'
  | 'ExecutionRedriven'
  | `${'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map'}StateEntered`
  | `${'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Parallel' | 'Map'}StateExited`
  | `${'Task' | 'Parallel' | 'Map' | 'Wait'}StateAborted`
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSubmitted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'ParallelStateStarted'
  | 'ParallelStateSucceeded'
  | 'ParallelStateFailed'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed'
  | 'MapIterationAborted';

/** Event details. Payloads are JSON values (deep copies), not JSON strings, to keep dashboards simple. */
export interface HistoryEventDetails {
  /** State name for state events; Map state name for iteration events. */
  name?: string;
  input?: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  resource?: string;
  /** Task attempt number (1 = first try) on Task* events. */
  attempt?: number;
  /** Map iteration index, or Parallel branch index. */
  index?: number;
  /** Number of items on MapStateStarted. */
  length?: number;
  taskToken?: string;
  timeoutInSeconds?: number;
  heartbeatInSeconds?: number;
  redriveCount?: number;
}

export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: Date;
  type: HistoryEventType;
  details: HistoryEventDetails;
}

/** A history event as delivered to `onEvent` listeners. */
export interface LiveHistoryEvent extends HistoryEvent {
  executionArn: string;
  stateMachineArn: string;
}
