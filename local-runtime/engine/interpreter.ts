/**
 * The state interpreter: runs a state list (a machine, a Parallel branch or a Map iteration) and records
 * enough progress to redrive it later.
 *
 * Redrive model: every run of a state list has a {@link ScopeProgress}. While it runs, `current` is the state
 * being executed and the input it received; when the run fails or is aborted, `current` stays on the state
 * that did not finish. Map and Parallel keep one child ScopeProgress per iteration/branch. Redriving a scope
 * resumes at `current` with the same input; succeeded children return their recorded output without running.
 *
 * Restart model: the same progress, plus where the current state is inside itself (`enteredTime`, the Retry
 * loop, the Wait's end, the task token). A restored engine runs the scope again and the state carries on
 * without being entered again: a Wait sleeps what is left, a Task waiting for its callback keeps waiting on
 * the same token, a Task whose handler was mid-flight runs that attempt again (steps are idempotent, as for
 * a retry). {@link forgetPlaceInStates} drops these markers for a redrive, which enters the state afresh.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../../shared/clock';
import { evaluateRule, parseTimestamp } from './choice';
import { AbortedError, errorMatches, isSuspension, StatesError, StatesErrors, toStatesError } from './errors';
import { applyPayloadTemplate, evaluateDynamicValue, type IntrinsicOptions } from './intrinsics';
import { applyFilterPath, applyResultPath, readReferencePath, safeJson } from './json-path';
import type { IssuedToken, TaskTokens } from './task-tokens';
import type {
  Catcher,
  ChoiceState,
  FailState,
  HistoryEventDetails,
  HistoryEventType,
  MapState,
  ParallelState,
  PassState,
  Retrier,
  State,
  StateMachineDefinition,
  TaskHandler,
  TaskState,
  WaitState,
} from './types';

/** Progress of one run of a state list, kept across redrives (and snapshots: it is plain JSON). */
export interface ScopeProgress {
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  /** The state being run (or that failed / was aborted) and the raw input it received. */
  current?: StateProgress;
  output?: unknown;
}

/** The state a scope is in, and where it is inside that state. */
export interface StateProgress {
  name: string;
  input: unknown;
  /** Map iterations / Parallel branches. */
  children?: ScopeProgress[];
  /** The attempt `children` belong to: a Retry of a Map/Parallel starts them afresh. */
  childrenAttempt?: number;
  /** Set once the state was entered (ISO time); a restarted engine resumes the state without entering it again. */
  enteredTime?: string;
  /** A Wait state's end, on the clock. */
  waitUntil?: number;
  /** The Retry loop of a Task, Map or Parallel state. */
  retry?: RetryProgress;
  /** The current attempt of a Task state. */
  task?: TaskAttemptProgress;
}

export interface RetryProgress {
  /** 1 for the first try. */
  attempt: number;
  /** Retries used so far, per retrier. */
  used: number[];
  /** Set while sleeping before the next attempt: when it starts, on the clock. */
  nextAttemptAt?: number;
}

export interface TaskAttemptProgress {
  /** The `.waitForTaskToken` token of this attempt. */
  taskToken?: string;
  /** The handler returned: only the callback is left to wait for. */
  submitted?: boolean;
  /** When TimeoutSeconds ends this attempt, on the clock. */
  timeoutAt?: number;
}

/** A fresh, never-run scope. */
export function newScope(): ScopeProgress {
  return { status: 'pending' };
}

/** Drops where each state was inside itself, so that a redrive enters the unfinished states afresh. */
export function forgetPlaceInStates(scope: ScopeProgress): void {
  const current = scope.current;
  if (!current) return;
  delete current.enteredTime;
  delete current.waitUntil;
  delete current.retry;
  delete current.task;
  for (const child of current.children ?? []) forgetPlaceInStates(child);
}

/** Every task token a RUNNING scope is waiting on (or whose attempt was mid-flight). */
export function pendingTaskTokens(scope: ScopeProgress): string[] {
  const current = scope.current;
  if (!current || scope.status === 'succeeded') return [];
  return [
    ...(current.task?.taskToken ? [current.task.taskToken] : []),
    ...(current.children ?? []).flatMap(pendingTaskTokens),
  ];
}

/** What the interpreter needs from the execution that owns it. */
export interface ExecutionHost {
  readonly executionArn: string;
  readonly executionName: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly executionInput: unknown;
  readonly startTime: string;
  readonly redriveCount: number;
  readonly clock: Clock;
  readonly taskHandler: TaskHandler;
  readonly tokens: TaskTokens;
  readonly random: () => number;
  /** Appends a history event. */
  emit(type: HistoryEventType, details: HistoryEventDetails): void;
  /** Counts one billable state transition. */
  countTransition(): void;
  /** Number of history events so far (Step Functions caps an execution at 25,000). */
  historyLength(): number;
}

const maxHistoryEvents = 25_000;

type StepResult = { output: unknown; next?: string };
type Context = Record<string, unknown>;

/** Rejects with the signal's reason as soon as it aborts; removes its listener once settled. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A controller that aborts (with the same reason) when `parent` does; call `dispose` to unlink. */
export function linkedController(parent: AbortSignal): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  // Map iterations can put many sleepers on one signal at once; that is not a leak.
  setMaxListeners(0, controller.signal);
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => undefined };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

/** JSON round trip: payloads crossing the handler boundary behave as serialized JSON. */
function jsonCopy(value: unknown, what: string): unknown {
  try {
    const text = JSON.stringify(value === undefined ? null : value);
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StatesError(
      StatesErrors.Runtime,
      `${what} is not serializable to JSON: ${(err as Error).message}`,
    );
  }
}

/** Internal bugs surface as States.Runtime rather than as a catchable error named "TypeError". */
function asStatesError(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  return new StatesError(StatesErrors.Runtime, err instanceof Error ? err.message : String(err));
}

/** Runs state lists for one execution. */
export class Interpreter {
  private readonly intrinsicOptions: IntrinsicOptions;

  constructor(private readonly host: ExecutionHost) {
    this.intrinsicOptions = { random: host.random };
  }

  /**
   * Runs (or resumes) a state list. `input` is only used when the scope has not started yet.
   * Rejects with a StatesError when the scope fails, or with an AbortedError when it is aborted.
   */
  async runScope(
    definition: StateMachineDefinition,
    scope: ScopeProgress,
    input: unknown,
    signal: AbortSignal,
  ): Promise<unknown> {
    if (scope.status === 'succeeded') return scope.output;
    let name = scope.current?.name ?? definition.StartAt;
    let stateInput = scope.current ? scope.current.input : input;
    // Only the state being resumed keeps its progress (children, and its place when restarted).
    let resumed = scope.current;
    scope.status = 'running';
    try {
      for (;;) {
        throwIfAborted(signal);
        if (this.host.historyLength() > maxHistoryEvents) {
          throw new StatesError(
            StatesErrors.Runtime,
            `The execution exceeded ${maxHistoryEvents} history events`,
          );
        }
        const state = definition.States[name];
        if (!state) throw new StatesError(StatesErrors.Runtime, `State '${name}' does not exist`);
        const current: StateProgress = resumed ?? { name, input: stateInput };
        resumed = undefined;
        scope.current = current;
        const { output, next } = await this.runState(name, state, stateInput, current, signal);
        if (next === undefined) {
          scope.status = 'succeeded';
          scope.output = output;
          delete scope.current;
          return output;
        }
        name = next;
        stateInput = output;
      }
    } catch (err) {
      if (!isSuspension(err)) scope.status = 'failed';
      throw err;
    }
  }

  private async runState(
    name: string,
    state: State,
    input: unknown,
    progress: StateProgress,
    signal: AbortSignal,
  ): Promise<StepResult> {
    // A state resumed after a restart was entered before: it carries on from where it was.
    const resuming = progress.enteredTime !== undefined;
    if (!resuming) {
      this.host.emit(`${state.Type}StateEntered`, { name, input: jsonCopy(input, 'State input') });
      this.host.countTransition();
      progress.enteredTime = new Date(this.host.clock.now()).toISOString();
    }
    const enteredTime = progress.enteredTime as string;
    try {
      switch (state.Type) {
        case 'Pass':
          return this.exited(state, name, this.runPass(state, name, input, enteredTime));
        case 'Choice':
          return this.runChoice(state, name, input, enteredTime);
        case 'Wait':
          return this.exited(
            state,
            name,
            await this.runWait(state, name, input, enteredTime, progress, signal),
          );
        case 'Succeed': {
          const context = this.context(name, enteredTime, 0);
          const effective = applyFilterPath(state.InputPath, input, context, 'InputPath');
          return this.exited(state, name, {
            output: applyFilterPath(state.OutputPath, effective, context, 'OutputPath'),
          });
        }
        case 'Fail':
          throw this.failError(state, name, input, enteredTime);
        case 'Task':
          return this.exited(
            state,
            name,
            await this.withRetryAndCatch(state, input, progress, resuming, signal, (attempt, again) =>
              this.taskAttempt(state, name, input, enteredTime, attempt, again, progress, signal),
            ),
          );
        case 'Parallel':
          return this.exited(
            state,
            name,
            await this.withRetryAndCatch(state, input, progress, resuming, signal, (attempt, again) =>
              this.parallelAttempt(state, name, input, enteredTime, attempt, again, progress, signal),
            ),
          );
        case 'Map':
          return this.exited(
            state,
            name,
            await this.withRetryAndCatch(state, input, progress, resuming, signal, (attempt, again) =>
              this.mapAttempt(state, name, input, enteredTime, attempt, again, progress, signal),
            ),
          );
      }
    } catch (err) {
      if (
        err instanceof AbortedError &&
        !isSuspension(err) &&
        (state.Type === 'Task' || state.Type === 'Map' || state.Type === 'Parallel' || state.Type === 'Wait')
      ) {
        this.host.emit(`${state.Type}StateAborted`, { name });
      }
      throw err;
    }
  }

  private exited(state: State, name: string, result: StepResult): StepResult {
    if (state.Type !== 'Fail')
      this.host.emit(`${state.Type}StateExited`, { name, output: jsonCopy(result.output, 'State output') });
    return { output: result.output, next: result.next ?? (state.End ? undefined : state.Next) };
  }

  /** The context object (`$$`) for a state. */
  private context(name: string, enteredTime: string, retryCount: number, extra: Context = {}): Context {
    return {
      Execution: {
        Id: this.host.executionArn,
        Name: this.host.executionName,
        Input: this.host.executionInput,
        StartTime: this.host.startTime,
        RedriveCount: this.host.redriveCount,
        RoleArn: 'arn:aws:iam::000000000000:role/local-step-functions',
      },
      StateMachine: { Id: this.host.stateMachineArn, Name: this.host.stateMachineName },
      State: { Name: name, EnteredTime: enteredTime, RetryCount: retryCount },
      ...extra,
    };
  }

  private template(template: unknown, input: unknown, context: Context): unknown {
    return applyPayloadTemplate(template, { input, context }, this.intrinsicOptions);
  }

  /** ResultSelector → ResultPath → OutputPath, shared by Task, Map and Parallel. */
  private finishResult(
    state: TaskState | MapState | ParallelState,
    rawInput: unknown,
    result: unknown,
    context: Context,
  ): unknown {
    const selected =
      state.ResultSelector !== undefined ? this.template(state.ResultSelector, result, context) : result;
    const combined = applyResultPath(rawInput, state.ResultPath, selected);
    return applyFilterPath(state.OutputPath, combined, context, 'OutputPath');
  }

  // -------------------------------------------------------------------------------------------------------
  // Simple states
  // -------------------------------------------------------------------------------------------------------

  private runPass(state: PassState, name: string, input: unknown, enteredTime: string): StepResult {
    const context = this.context(name, enteredTime, 0);
    let effective = applyFilterPath(state.InputPath, input, context, 'InputPath');
    if (state.Parameters !== undefined) effective = this.template(state.Parameters, effective, context);
    const result = 'Result' in state ? state.Result : effective;
    const combined = applyResultPath(input, state.ResultPath, result);
    return { output: applyFilterPath(state.OutputPath, combined, context, 'OutputPath') };
  }

  private runChoice(state: ChoiceState, name: string, input: unknown, enteredTime: string): StepResult {
    const context = this.context(name, enteredTime, 0);
    const effective = applyFilterPath(state.InputPath, input, context, 'InputPath');
    const matched = state.Choices.find((rule) => evaluateRule(rule, { input: effective, context }));
    const next = matched?.Next ?? state.Default;
    if (next === undefined) {
      throw new StatesError(
        StatesErrors.NoChoiceMatched,
        `No Choice rule matched and no Default in state '${name}'`,
      );
    }
    const output = applyFilterPath(state.OutputPath, effective, context, 'OutputPath');
    this.host.emit('ChoiceStateExited', { name, output: jsonCopy(output, 'State output') });
    return { output, next };
  }

  private async runWait(
    state: WaitState,
    name: string,
    input: unknown,
    enteredTime: string,
    progress: StateProgress,
    signal: AbortSignal,
  ): Promise<StepResult> {
    const context = this.context(name, enteredTime, 0);
    const effective = applyFilterPath(state.InputPath, input, context, 'InputPath');
    const output = (): StepResult => ({
      output: applyFilterPath(state.OutputPath, effective, context, 'OutputPath'),
    });
    if (progress.waitUntil !== undefined) {
      await this.sleepUntil(progress.waitUntil, signal); // resumed: only what is left
      return output();
    }
    const data = { input: effective, context };
    let ms: number;
    if (state.Seconds !== undefined || state.SecondsPath !== undefined) {
      const seconds = state.Seconds ?? readReferencePath(state.SecondsPath ?? '$', data, 'SecondsPath');
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        throw new StatesError(
          StatesErrors.Runtime,
          `Wait seconds must be a non-negative integer, got ${safeJson(seconds)}`,
        );
      }
      ms = seconds * 1000;
    } else {
      const timestamp =
        state.Timestamp ?? readReferencePath(state.TimestampPath ?? '$', data, 'TimestampPath');
      const due = parseTimestamp(timestamp);
      if (Number.isNaN(due))
        throw new StatesError(StatesErrors.Runtime, `Invalid Wait timestamp ${safeJson(timestamp)}`);
      ms = due - this.host.clock.now();
    }
    progress.waitUntil = this.host.clock.now() + Math.max(0, ms);
    await this.sleepUntil(progress.waitUntil, signal);
    return output();
  }

  private failError(state: FailState, name: string, input: unknown, enteredTime: string): StatesError {
    const data = { input, context: this.context(name, enteredTime, 0) };
    const dynamic = (path: string | undefined, field: string): string | undefined => {
      if (path === undefined) return undefined;
      const value = evaluateDynamicValue(path, data, this.intrinsicOptions, field);
      if (typeof value !== 'string')
        throw new StatesError(StatesErrors.Runtime, `${field} must resolve to a string`);
      return value;
    };
    const error = state.Error ?? dynamic(state.ErrorPath, 'ErrorPath');
    const cause = state.Cause ?? dynamic(state.CausePath, 'CausePath');
    // A Fail state without Error fails the execution with no error name; '' is mapped back to "absent".
    return new StatesError(error ?? '', cause);
  }

  /** Sleeps on the injected clock; the child controller keeps long-lived signals free of stale listeners. */
  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const { controller, dispose } = linkedController(signal);
    try {
      await this.host.clock.sleep(ms, controller.signal);
    } finally {
      dispose();
    }
  }

  /** Sleeps until `due` on the clock; not at all when it is past. */
  private async sleepUntil(due: number, signal: AbortSignal): Promise<void> {
    const ms = due - this.host.clock.now();
    if (ms > 0) await this.sleep(ms, signal);
    else throwIfAborted(signal);
  }

  // -------------------------------------------------------------------------------------------------------
  // Retry and Catch
  // -------------------------------------------------------------------------------------------------------

  /**
   * Runs attempts until one succeeds, a retrier gives up, or the error is not retriable; then applies Catch.
   * Only the first retrier whose ErrorEquals matches is used (ASL spec); each retrier counts its own attempts.
   */
  private async withRetryAndCatch(
    state: TaskState | MapState | ParallelState,
    rawInput: unknown,
    progress: StateProgress,
    resuming: boolean,
    signal: AbortSignal,
    attemptFn: (attempt: number, resumingAttempt: boolean) => Promise<unknown>,
  ): Promise<StepResult> {
    const retriers: Retrier[] = state.Retry ?? [];
    const retry = (progress.retry ??= { attempt: 1, used: retriers.map(() => 0) });
    // After a restart, the attempt under way carries on, unless the state was between two attempts.
    let resumingAttempt = resuming && retry.nextAttemptAt === undefined;
    for (;;) {
      if (retry.nextAttemptAt !== undefined) {
        await this.sleepUntil(retry.nextAttemptAt, signal);
        delete retry.nextAttemptAt;
        retry.attempt++;
        this.host.countTransition(); // each retry is billed as one more transition
      }
      try {
        return { output: await attemptFn(retry.attempt, resumingAttempt) };
      } catch (err) {
        if (err instanceof AbortedError) throw err;
        const error = asStatesError(err);
        const index = retriers.findIndex((r) => errorMatches(r.ErrorEquals, error.error));
        const retrier = retriers[index];
        const count = retry.used[index] ?? 0;
        if (retrier && count < (retrier.MaxAttempts ?? 3)) {
          retry.used[index] = count + 1;
          retry.nextAttemptAt = this.host.clock.now() + this.retryDelayMs(retrier, count);
          resumingAttempt = false;
          continue;
        }
        const catcher: Catcher | undefined = (state.Catch ?? []).find((c) =>
          errorMatches(c.ErrorEquals, error.error),
        );
        if (!catcher) throw error;
        const output = applyResultPath(rawInput, catcher.ResultPath, error.toErrorOutput());
        return { output, next: catcher.Next };
      }
    }
  }

  /** IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, then FULL jitter picks in [0, delay). */
  private retryDelayMs(retrier: Retrier, retriesSoFar: number): number {
    let seconds = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retriesSoFar;
    if (retrier.MaxDelaySeconds !== undefined) seconds = Math.min(seconds, retrier.MaxDelaySeconds);
    if (retrier.JitterStrategy === 'FULL') seconds *= this.host.random();
    return Math.round(seconds * 1000);
  }

  // -------------------------------------------------------------------------------------------------------
  // Task
  // -------------------------------------------------------------------------------------------------------

  private positiveSeconds(
    value: number | undefined,
    path: string | undefined,
    effective: unknown,
    context: Context,
    field: string,
  ): number | undefined {
    const raw =
      value ??
      (path !== undefined ? readReferencePath(path, { input: effective, context }, field) : undefined);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0) {
      throw new StatesError(
        StatesErrors.Runtime,
        `${field} must be a positive integer, got ${safeJson(raw)}`,
      );
    }
    return raw;
  }

  private async taskAttempt(
    state: TaskState,
    name: string,
    rawInput: unknown,
    enteredTime: string,
    attempt: number,
    resuming: boolean,
    progress: StateProgress,
    signal: AbortSignal,
  ): Promise<unknown> {
    const resource = state.Resource;
    const context = this.context(name, enteredTime, attempt - 1);
    const effective = applyFilterPath(state.InputPath, rawInput, context, 'InputPath');
    const timeoutSeconds = this.positiveSeconds(
      state.TimeoutSeconds,
      state.TimeoutSecondsPath,
      effective,
      context,
      'TimeoutSeconds',
    );
    const heartbeatSeconds = this.positiveSeconds(
      state.HeartbeatSeconds,
      state.HeartbeatSecondsPath,
      effective,
      context,
      'HeartbeatSeconds',
    );
    // A resumed attempt keeps its token (the callback was promised to it) and, once submitted, its deadline.
    const resumed = resuming ? progress.task : undefined;
    const waitsForToken = resource.endsWith('.waitForTaskToken');
    const issued = !waitsForToken
      ? undefined
      : resumed?.taskToken
        ? this.host.tokens.adopt(resumed.taskToken, this.host.executionArn)
        : this.host.tokens.issue(this.host.executionArn);
    const submitted = issued !== undefined && resumed?.submitted === true;
    const task: TaskAttemptProgress = issued ? { taskToken: issued.token } : {};
    if (submitted) Object.assign(task, resumed);
    progress.task = task;
    if (issued) context.Task = { Token: issued.token };
    const parameters = jsonCopy(
      state.Parameters !== undefined ? this.template(state.Parameters, effective, context) : effective,
      'Task parameters',
    );

    if (!submitted)
      this.host.emit('TaskScheduled', {
        name,
        resource,
        input: parameters,
        attempt,
        ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
        ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      });

    const { controller: attemptController, dispose } = linkedController(signal);
    const timers = new AbortController();
    const timeoutReason = (error: string, cause: string): StatesError => new StatesError(error, cause);
    // The timeout runs from here, not from the top: on a sped-up clock, the real milliseconds spent
    // preparing the task (templates, history listeners) would otherwise eat into it.
    if (!submitted && timeoutSeconds !== undefined)
      task.timeoutAt = this.host.clock.now() + timeoutSeconds * 1000;
    if (task.timeoutAt !== undefined) {
      this.host.clock.sleep(Math.max(0, task.timeoutAt - this.host.clock.now()), timers.signal).then(
        () =>
          attemptController.abort(
            timeoutReason(StatesErrors.Timeout, `Task timed out after ${timeoutSeconds} seconds`),
          ),
        () => undefined,
      );
    }
    let heartbeatTimer: AbortController | undefined;
    const armHeartbeat = (): void => {
      if (heartbeatSeconds === undefined) return;
      heartbeatTimer?.abort();
      heartbeatTimer = new AbortController();
      this.host.clock.sleep(heartbeatSeconds * 1000, heartbeatTimer.signal).then(
        () =>
          attemptController.abort(
            timeoutReason(StatesErrors.HeartbeatTimeout, `No heartbeat for ${heartbeatSeconds} seconds`),
          ),
        () => undefined,
      );
    };

    let result: unknown;
    let timedOut = false;
    try {
      // A resumed attempt that was submitted before the restart has only the callback left to wait for.
      if (!submitted)
        result = await this.startTask(name, resource, parameters, issued, attempt, attemptController);
      if (issued) {
        if (!submitted) task.submitted = true;
        issued.setHeartbeatListener(armHeartbeat);
        armHeartbeat();
        result = await raceAbort(issued.result, attemptController.signal);
      }
      result = jsonCopy(result, 'Task result');
      this.host.emit('TaskSucceeded', { name, resource, output: result, attempt });
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const error = asStatesError(err);
      timedOut = err === attemptController.signal.reason;
      this.host.emit(timedOut ? 'TaskTimedOut' : 'TaskFailed', {
        name,
        resource,
        error: error.error,
        ...(error.causeText !== undefined ? { cause: error.causeText } : {}),
        attempt,
      });
      throw error;
    } finally {
      // A suspended engine leaves the token pending: the engine restored from its snapshot adopts it.
      if (!isSuspension(attemptController.signal.reason)) issued?.close(timedOut);
      timers.abort();
      heartbeatTimer?.abort();
      dispose();
    }
    return this.finishResult(state, rawInput, result, context);
  }

  /** Runs the task's handler; a token task's handler result is only its submission (TaskSubmitted). */
  private async startTask(
    name: string,
    resource: string,
    parameters: unknown,
    issued: IssuedToken | undefined,
    attempt: number,
    attemptController: AbortController,
  ): Promise<unknown> {
    this.host.emit('TaskStarted', { name, resource, attempt });
    const call = Promise.resolve().then(() =>
      this.host.taskHandler({
        resource,
        input: parameters,
        ...(issued ? { taskToken: issued.token } : {}),
        stateName: name,
        executionArn: this.host.executionArn,
        attempt,
        signal: attemptController.signal,
      }),
    );
    call.catch(() => undefined); // the race below may settle first
    let handlerResult: unknown;
    try {
      handlerResult = await raceAbort(call, attemptController.signal);
    } catch (err) {
      if (err instanceof AbortedError || err === attemptController.signal.reason) throw err;
      throw toStatesError(err);
    }
    if (issued)
      this.host.emit('TaskSubmitted', {
        name,
        resource,
        output: jsonCopy(handlerResult, 'Task submission output'),
        taskToken: issued.token,
      });
    return handlerResult;
  }

  // -------------------------------------------------------------------------------------------------------
  // Parallel and Map
  // -------------------------------------------------------------------------------------------------------

  /** Redrive and restart keep children; a Retry re-runs everything, as Step Functions does. */
  private children(progress: StateProgress, attempt: number, count: number): ScopeProgress[] {
    const previous = progress.children;
    const children =
      (attempt === 1 || progress.childrenAttempt === attempt) && previous && previous.length === count
        ? previous
        : Array.from({ length: count }, newScope);
    progress.children = children;
    progress.childrenAttempt = attempt;
    return children;
  }

  private async parallelAttempt(
    state: ParallelState,
    name: string,
    rawInput: unknown,
    enteredTime: string,
    attempt: number,
    resuming: boolean,
    progress: StateProgress,
    signal: AbortSignal,
  ): Promise<unknown> {
    const context = this.context(name, enteredTime, attempt - 1);
    const effective = applyFilterPath(state.InputPath, rawInput, context, 'InputPath');
    const branchInput =
      state.Parameters !== undefined ? this.template(state.Parameters, effective, context) : effective;
    const children = this.children(progress, attempt, state.Branches.length);
    if (!resuming) this.host.emit('ParallelStateStarted', { name });

    const { controller, dispose } = linkedController(signal);
    const results: unknown[] = new Array<unknown>(state.Branches.length).fill(null);
    let failure: StatesError | undefined;
    try {
      await Promise.all(
        state.Branches.map(async (branch, index) => {
          const child = children[index] ?? newScope();
          try {
            results[index] = await this.runScope(
              branch,
              child,
              jsonCopy(branchInput, 'Branch input'),
              controller.signal,
            );
          } catch (err) {
            if (err instanceof AbortedError) return;
            failure ??= asStatesError(err);
            controller.abort(new AbortedError('sibling-failed'));
          }
        }),
      );
    } finally {
      dispose();
    }
    throwIfAborted(signal);
    if (failure) {
      this.host.emit('ParallelStateFailed', {
        name,
        error: failure.error,
        ...(failure.causeText !== undefined ? { cause: failure.causeText } : {}),
      });
      throw failure;
    }
    this.host.emit('ParallelStateSucceeded', { name, output: jsonCopy(results, 'Parallel output') });
    return this.finishResult(state, rawInput, results, context);
  }

  private async mapAttempt(
    state: MapState,
    name: string,
    rawInput: unknown,
    enteredTime: string,
    attempt: number,
    resuming: boolean,
    progress: StateProgress,
    signal: AbortSignal,
  ): Promise<unknown> {
    const context = this.context(name, enteredTime, attempt - 1);
    const effective = applyFilterPath(state.InputPath, rawInput, context, 'InputPath');
    const data = { input: effective, context };
    const items =
      state.ItemsPath !== undefined ? readReferencePath(state.ItemsPath, data, 'ItemsPath') : effective;
    if (!Array.isArray(items)) {
      throw new StatesError(StatesErrors.Runtime, `Map items must be an array, got ${safeJson(items)}`);
    }
    const numberField = (
      value: number | undefined,
      path: string | undefined,
      field: string,
    ): number | undefined => {
      const raw = value ?? (path !== undefined ? readReferencePath(path, data, field) : undefined);
      if (raw !== undefined && (typeof raw !== 'number' || raw < 0)) {
        throw new StatesError(
          StatesErrors.Runtime,
          `${field} must be a non-negative number, got ${safeJson(raw)}`,
        );
      }
      return raw;
    };
    const maxConcurrency = numberField(state.MaxConcurrency, state.MaxConcurrencyPath, 'MaxConcurrency') ?? 0;
    const toleratedCount = numberField(
      state.ToleratedFailureCount,
      state.ToleratedFailureCountPath,
      'ToleratedFailureCount',
    );
    const toleratedPercentage = numberField(
      state.ToleratedFailurePercentage,
      state.ToleratedFailurePercentagePath,
      'ToleratedFailurePercentage',
    );
    const hasTolerance = toleratedCount !== undefined || toleratedPercentage !== undefined;
    const exceedsTolerance = (failures: number): boolean =>
      !hasTolerance ||
      (toleratedCount !== undefined && failures > toleratedCount) ||
      (toleratedPercentage !== undefined && (failures / items.length) * 100 > toleratedPercentage);

    const processor = (state.ItemProcessor ?? state.Iterator) as StateMachineDefinition;
    const selector = state.ItemSelector ?? state.Parameters;
    const children = this.children(progress, attempt, items.length);
    if (!resuming) this.host.emit('MapStateStarted', { name, length: items.length });

    const { controller, dispose } = linkedController(signal);
    const results: unknown[] = new Array<unknown>(items.length).fill(null);
    let failures = 0;
    let failure: StatesError | undefined;

    const runItem = async (index: number): Promise<void> => {
      const child = children[index] ?? newScope();
      if (child.status === 'succeeded') {
        results[index] = child.output; // kept from before a redrive
        return;
      }
      // An iteration under way before a restart carries on; it started already.
      if (!(resuming && child.status === 'running')) this.host.emit('MapIterationStarted', { name, index });
      try {
        let itemInput: unknown = null;
        if (!child.current) {
          const item: unknown = items[index];
          itemInput =
            selector !== undefined
              ? this.template(selector, effective, {
                  ...context,
                  Map: { Item: { Index: index, Value: item } },
                })
              : item;
        }
        results[index] = await this.runScope(
          processor,
          child,
          jsonCopy(itemInput, 'Map item'),
          controller.signal,
        );
        this.host.emit('MapIterationSucceeded', {
          name,
          index,
          output: jsonCopy(results[index], 'Iteration output'),
        });
      } catch (err) {
        if (err instanceof AbortedError) {
          if (!isSuspension(err)) this.host.emit('MapIterationAborted', { name, index });
          return;
        }
        const error = asStatesError(err);
        failures++;
        this.host.emit('MapIterationFailed', {
          name,
          index,
          error: error.error,
          ...(error.causeText !== undefined ? { cause: error.causeText } : {}),
        });
        if (exceedsTolerance(failures) || error.error === StatesErrors.Runtime) {
          failure ??=
            hasTolerance && error.error !== StatesErrors.Runtime
              ? new StatesError(
                  StatesErrors.ExceedToleratedFailureThreshold,
                  `${failures} of ${items.length} iterations failed; last: ${error.message}`,
                )
              : error;
          controller.abort(new AbortedError('sibling-failed'));
        } else {
          results[index] = error.toErrorOutput(); // a tolerated failure leaves its error in place of a result
        }
      }
    };

    try {
      let next = 0;
      const workerCount = maxConcurrency > 0 ? Math.min(maxConcurrency, items.length) : items.length;
      await Promise.all(
        Array.from({ length: workerCount }, async () => {
          while (next < items.length && !controller.signal.aborted) {
            await runItem(next++);
          }
        }),
      );
    } finally {
      dispose();
    }
    throwIfAborted(signal);
    if (failure) {
      this.host.emit('MapStateFailed', {
        name,
        error: failure.error,
        ...(failure.causeText !== undefined ? { cause: failure.causeText } : {}),
      });
      throw failure;
    }
    this.host.emit('MapStateSucceeded', { name, output: jsonCopy(results, 'Map output') });
    return this.finishResult(state, rawInput, results, context);
  }
}
