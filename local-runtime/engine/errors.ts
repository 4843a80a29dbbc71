/**
 * Error types of the local Step Functions engine.
 *
 * Three families:
 * - {@link StatesError}: an error *inside* an execution (`States.TaskFailed`, a handler's own error name...),
 *   the thing Retry/Catch match on and that ends up in `describeExecution().error`.
 * - {@link SfnApiError}: what an API call throws (`ExecutionAlreadyExists`, `TaskDoesNotExist`...). Its `name`
 *   is the SFN exception name so code written against the AWS SDK (`err.name === '...'`) behaves the same.
 * - {@link AbortedError}: internal; unwinds a branch of the interpreter when the execution is stopped, times
 *   out, or a sibling Map iteration / Parallel branch failed. Never retried nor caught.
 */

/** Well-known error names from the Amazon States Language. */
export const StatesErrors = {
  ALL: 'States.ALL',
  TaskFailed: 'States.TaskFailed',
  Timeout: 'States.Timeout',
  HeartbeatTimeout: 'States.HeartbeatTimeout',
  Runtime: 'States.Runtime',
  DataLimitExceeded: 'States.DataLimitExceeded',
  NoChoiceMatched: 'States.NoChoiceMatched',
  IntrinsicFailure: 'States.IntrinsicFailure',
  ResultPathMatchFailure: 'States.ResultPathMatchFailure',
  ExceedToleratedFailureThreshold: 'States.ExceedToleratedFailureThreshold',
  BranchFailed: 'States.BranchFailed',
} as const;

/** An error raised inside an execution: what Retry and Catch see. */
export class StatesError extends Error {
  constructor(
    /** The ASL error name, e.g. `States.Timeout` or a handler's own `MyError`. */
    readonly error: string,
    /** Human-readable cause; becomes `Cause` in Catch output. */
    readonly causeText?: string,
  ) {
    super(causeText ? `${error}: ${causeText}` : error);
    this.name = 'StatesError';
  }

  /**
   * The `{ Error, Cause }` object a Catch hands to its ResultPath. ASL spec, "Error output": it "MUST have a
   * string-valued field named Error" and "SHOULD have a string-valued field named Cause", so an error that
   * carries no cause (a Fail state without Cause) gets an empty one.
   */
  toErrorOutput(): { Error: string; Cause: string } {
    return { Error: this.error, Cause: this.causeText ?? '' };
  }
}

/** Errors that neither Retry nor Catch can handle (see "States.ALL" in the SFN error-handling guide). */
export function isTerminalError(error: string): boolean {
  return error === StatesErrors.Runtime || error === StatesErrors.DataLimitExceeded;
}

/**
 * Does a Retrier's / Catcher's `ErrorEquals` list match `error`?
 * - terminal errors (`States.Runtime`, `States.DataLimitExceeded`) never match;
 * - `States.ALL` matches everything else;
 * - `States.TaskFailed` is a wildcard for everything except timeouts (ASL spec, Appendix A);
 * - `States.Timeout` also matches `States.HeartbeatTimeout` (the spec defines a heartbeat miss as a timeout).
 */
export function errorMatches(errorEquals: readonly string[], error: string): boolean {
  if (isTerminalError(error)) return false;
  const isTimeout = error === StatesErrors.Timeout || error === StatesErrors.HeartbeatTimeout;
  return errorEquals.some(
    (candidate) =>
      candidate === error ||
      candidate === StatesErrors.ALL ||
      (candidate === StatesErrors.TaskFailed && !isTimeout) ||
      (candidate === StatesErrors.Timeout && error === StatesErrors.HeartbeatTimeout),
  );
}

/**
 * Convenience error a TaskHandler can throw to pick the ASL error name and cause explicitly.
 * Any thrown object with a string `errorName` (and optionally a string `cause`) works the same way.
 */
export class TaskFailure extends Error {
  readonly errorName: string;
  override readonly cause: string | undefined;

  constructor(errorName: string, cause?: string) {
    super(cause ?? errorName);
    this.name = errorName;
    this.errorName = errorName;
    this.cause = cause;
  }
}

/**
 * Maps whatever a TaskHandler threw to a StatesError:
 * - Error = `thrown.errorName` when it is a non-empty string, else `thrown.name`, else `States.TaskFailed`;
 * - Cause = `thrown.cause` when it is a string, else `thrown.message`, else `String(thrown)`.
 */
export function toStatesError(thrown: unknown): StatesError {
  if (thrown instanceof StatesError) return thrown;
  if (typeof thrown === 'object' && thrown !== null) {
    const record = thrown as { errorName?: unknown; name?: unknown; cause?: unknown; message?: unknown };
    const error =
      typeof record.errorName === 'string' && record.errorName !== ''
        ? record.errorName
        : typeof record.name === 'string' && record.name !== ''
          ? record.name
          : StatesErrors.TaskFailed;
    const cause =
      typeof record.cause === 'string'
        ? record.cause
        : typeof record.message === 'string'
          ? record.message
          : undefined;
    return new StatesError(error, cause);
  }
  return new StatesError(StatesErrors.TaskFailed, thrown === undefined ? undefined : String(thrown));
}

/**
 * Why a branch of the interpreter is being unwound. `suspended`: the engine is shutting down to be restored
 * from a snapshot later; the execution stays RUNNING and nothing about it is recorded as aborted.
 */
export type AbortKind = 'stopped' | 'timed-out' | 'sibling-failed' | 'suspended';

/** Internal: the reason given to AbortControllers inside the engine. */
export class AbortedError extends Error {
  constructor(
    readonly kind: AbortKind,
    readonly error?: string,
    readonly causeText?: string,
  ) {
    super(`aborted (${kind})`);
    this.name = 'AbortedError';
  }
}

/** Is `reason` the engine suspending (not an abort that the history should show)? */
export function isSuspension(reason: unknown): boolean {
  return reason instanceof AbortedError && reason.kind === 'suspended';
}

/** Names of the SFN API exceptions this engine throws. */
export type SfnApiErrorName =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionNotRedrivable'
  | 'StateMachineDoesNotExist'
  | 'StateMachineAlreadyExists'
  | 'InvalidDefinition'
  | 'InvalidName'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut';

/** An error thrown by an API method; `name` is the SFN exception name, as with the AWS SDK. */
export class SfnApiError extends Error {
  constructor(
    override readonly name: SfnApiErrorName,
    message: string,
  ) {
    super(message);
  }
}
