/**
 * A local AWS Step Functions runtime: an Amazon States Language (JSONPath) interpreter with the SFN API's
 * shape (createStateMachine, startExecution, describeExecution, sendTaskSuccess, redriveExecution...).
 *
 * All state-machine time (Wait, Retry intervals, TimeoutSeconds, HeartbeatSeconds, execution timeouts) goes
 * through the injected Clock, so tests can drive it with a ManualClock. Tasks are delegated to one generic
 * TaskHandler; the engine knows nothing about Lambda payloads.
 *
 * State transitions are counted the way Standard workflows are billed: one per state entered (including
 * states inside Map iterations and Parallel branches, and Choice/Pass/Wait/Succeed/Fail states), plus one
 * per retry attempt. Starting or ending an execution is not a transition. A redriven state counts again
 * when re-entered; iterations and states that are not re-run on redrive do not.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { AbortedError, isSuspension, SfnApiError, StatesError, StatesErrors } from './errors';
import { jsonEquals } from './intrinsics';
import {
  forgetPlaceInStates,
  Interpreter,
  newScope,
  type ExecutionHost,
  type ScopeProgress,
} from './interpreter';
import { ENGINE_SNAPSHOT_VERSION, type EngineSnapshot, type ExecutionSnapshot } from './snapshot';
import { TaskTokens } from './task-tokens';
import type {
  DescribeExecutionOutput,
  ExecutionListItem,
  ExecutionStatus,
  HistoryEvent,
  HistoryEventDetails,
  HistoryEventType,
  LiveHistoryEvent,
  LocalStepFunctionsOptions,
  StateMachineDefinition,
  TaskHandler,
} from './types';
import { validateDefinition } from './validate';
import type { Clock } from '../../shared/clock';

export * from './types';
export {
  AbortedError,
  SfnApiError,
  StatesError,
  StatesErrors,
  TaskFailure,
  errorMatches,
  toStatesError,
} from './errors';
export type { SfnApiErrorName } from './errors';
export { ENGINE_SNAPSHOT_VERSION } from './snapshot';
export type { EngineSnapshot, ExecutionSnapshot } from './snapshot';

interface MachineRecord {
  arn: string;
  name: string;
  definition: StateMachineDefinition;
  definitionJson: string;
  creationDate: Date;
}

interface ExecutionRecord {
  arn: string;
  name: string;
  machineArn: string;
  machineName: string;
  /** Captured at start: redrive uses the definition the execution started with, as SFN does. */
  definition: StateMachineDefinition;
  input: unknown;
  inputJson: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  redriveCount: number;
  redriveDate?: Date;
  history: HistoryEvent[];
  transitions: number;
  root: ScopeProgress;
  controller?: AbortController;
  run?: Promise<void>;
  waiters: Array<(description: DescribeExecutionOutput) => void>;
}

/** Names for state machines and executions: 1-80 chars, no whitespace, no control or reserved characters. */
function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80) return false;
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return false;
    if (/\s/.test(ch) || '<>{}[]?*"#%\\^|~`$&,;:/'.includes(ch)) return false;
  }
  return true;
}

function parseJson(text: string, onError: (message: string) => Error): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw onError((err as Error).message);
  }
}

/**
 * The local Step Functions service. One instance holds any number of state machines and executions in memory.
 */
export class LocalStepFunctions {
  private readonly clock: Clock;
  private readonly taskHandler: TaskHandler;
  private readonly region: string;
  private readonly accountId: string;
  private readonly random: () => number;
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new TaskTokens();
  private readonly listeners = new Set<(event: LiveHistoryEvent) => void>();
  /** Set by suspend(): executions started or redriven after it wait for the engine that restores the snapshot. */
  private suspended = false;

  constructor(options: LocalStepFunctionsOptions) {
    this.clock = options.clock;
    this.taskHandler = options.taskHandler;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.random = options.random ?? Math.random;
  }

  // -------------------------------------------------------------------------------------------------------
  // State machines
  // -------------------------------------------------------------------------------------------------------

  /**
   * Creates a state machine from a parsed definition or a JSON string, validating its structure.
   * Creating the same name with the same definition again returns the existing ARN.
   * @throws SfnApiError `InvalidName`, `InvalidDefinition`, `StateMachineAlreadyExists`
   */
  async createStateMachine(params: {
    name: string;
    definition: unknown;
  }): Promise<{ stateMachineArn: string; creationDate: Date }> {
    if (!isValidName(params.name))
      throw new SfnApiError('InvalidName', `Invalid state machine name: '${params.name}'`);
    const definition = this.parseDefinition(params.definition);
    const definitionJson = JSON.stringify(definition);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${params.name}`;
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definitionJson !== definitionJson) {
        throw new SfnApiError(
          'StateMachineAlreadyExists',
          `State machine '${params.name}' already exists with another definition`,
        );
      }
      return { stateMachineArn: arn, creationDate: existing.creationDate };
    }
    const creationDate = new Date(this.clock.now());
    this.machines.set(arn, { arn, name: params.name, definition, definitionJson, creationDate });
    return { stateMachineArn: arn, creationDate };
  }

  /** Replaces a machine's definition; running executions keep the one they started with. */
  async updateStateMachine(params: {
    stateMachineArn: string;
    definition: unknown;
  }): Promise<{ updateDate: Date }> {
    const machine = this.machine(params.stateMachineArn);
    machine.definition = this.parseDefinition(params.definition);
    machine.definitionJson = JSON.stringify(machine.definition);
    return { updateDate: new Date(this.clock.now()) };
  }

  async describeStateMachine(params: {
    stateMachineArn: string;
  }): Promise<{ stateMachineArn: string; name: string; definition: string; creationDate: Date }> {
    const machine = this.machine(params.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definitionJson,
      creationDate: machine.creationDate,
    };
  }

  async listStateMachines(): Promise<{
    stateMachines: Array<{ stateMachineArn: string; name: string; creationDate: Date }>;
  }> {
    return {
      stateMachines: [...this.machines.values()].map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        creationDate: m.creationDate,
      })),
    };
  }

  private parseDefinition(definition: unknown): StateMachineDefinition {
    const parsed =
      typeof definition === 'string'
        ? parseJson(
            definition,
            (message) => new SfnApiError('InvalidDefinition', `Definition is not valid JSON: ${message}`),
          )
        : definition;
    try {
      validateDefinition(parsed);
    } catch (err) {
      throw new SfnApiError('InvalidDefinition', (err as Error).message);
    }
    // A private copy: later edits to the caller's object must not change the machine.
    return structuredClone(parsed);
  }

  private machine(arn: string): MachineRecord {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnApiError('StateMachineDoesNotExist', `State machine does not exist: ${arn}`);
    return machine;
  }

  // -------------------------------------------------------------------------------------------------------
  // Executions
  // -------------------------------------------------------------------------------------------------------

  /**
   * Starts an execution; it runs asynchronously. `input` is a JSON string (default `{}`), as in the API.
   * As in Step Functions, starting a name that is still RUNNING with the same input returns that execution;
   * a different input, or a name whose execution has already closed, throws `ExecutionAlreadyExists`.
   * @throws SfnApiError `StateMachineDoesNotExist`, `InvalidName`, `InvalidExecutionInput`, `ExecutionAlreadyExists`
   */
  async startExecution(params: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    const machine = this.machine(params.stateMachineArn);
    const name = params.name ?? randomUUID();
    if (!isValidName(name)) throw new SfnApiError('InvalidName', `Invalid execution name: '${name}'`);
    const inputJson = params.input ?? '{}';
    const input = parseJson(
      inputJson,
      (message) => new SfnApiError('InvalidExecutionInput', `Input is not valid JSON: ${message}`),
    );
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;

    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && jsonEquals(existing.input, input)) {
        return { executionArn: arn, startDate: existing.startDate };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution already exists: '${arn}'`);
    }

    const execution: ExecutionRecord = {
      arn,
      name,
      machineArn: machine.arn,
      machineName: machine.name,
      definition: machine.definition,
      input,
      inputJson,
      status: 'RUNNING',
      startDate: new Date(this.clock.now()),
      redriveCount: 0,
      history: [],
      transitions: 0,
      root: newScope(),
      waiters: [],
    };
    this.executions.set(arn, execution);
    this.emit(execution, 'ExecutionStarted', { input: structuredClone(input) });
    this.launch(execution);
    return { executionArn: arn, startDate: execution.startDate };
  }

  /** @throws SfnApiError `ExecutionDoesNotExist` */
  async describeExecution(params: { executionArn: string }): Promise<DescribeExecutionOutput> {
    return this.describe(this.execution(params.executionArn));
  }

  /** Executions, newest first, optionally filtered by machine and status. */
  async listExecutions(
    params: { stateMachineArn?: string; statusFilter?: ExecutionStatus } = {},
  ): Promise<{ executions: ExecutionListItem[] }> {
    if (params.stateMachineArn !== undefined) this.machine(params.stateMachineArn);
    const executions = [...this.executions.values()]
      .filter((e) => params.stateMachineArn === undefined || e.machineArn === params.stateMachineArn)
      .filter((e) => params.statusFilter === undefined || e.status === params.statusFilter)
      .reverse()
      .map((e) => ({
        executionArn: e.arn,
        stateMachineArn: e.machineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        redriveCount: e.redriveCount,
      }));
    return { executions };
  }

  /**
   * Stops a RUNNING execution (status ABORTED); resolves once it has unwound. A no-op on closed executions.
   * @throws SfnApiError `ExecutionDoesNotExist`
   */
  async stopExecution(params: {
    executionArn: string;
    error?: string;
    cause?: string;
  }): Promise<{ stopDate: Date }> {
    const execution = this.execution(params.executionArn);
    if (execution.status === 'RUNNING' && !execution.controller) {
      // Restored from a snapshot and not resumed yet: nothing runs to unwind.
      this.close(execution, 'ABORTED', { error: params.error, cause: params.cause });
    } else if (execution.status === 'RUNNING') {
      execution.controller?.abort(new AbortedError('stopped', params.error, params.cause));
      await execution.run;
    }
    return { stopDate: execution.stopDate ?? new Date(this.clock.now()) };
  }

  /**
   * Restarts a FAILED, TIMED_OUT or ABORTED execution from the state(s) that did not complete, with the
   * input they received. Completed states, Map iterations and Parallel branches keep their output.
   * @throws SfnApiError `ExecutionDoesNotExist`, `ExecutionNotRedrivable`
   */
  async redriveExecution(params: { executionArn: string }): Promise<{ redriveDate: Date }> {
    const execution = this.execution(params.executionArn);
    if (execution.status === 'RUNNING' || execution.status === 'SUCCEEDED') {
      throw new SfnApiError(
        'ExecutionNotRedrivable',
        `Execution is ${execution.status} and cannot be redriven`,
      );
    }
    await execution.run;
    forgetPlaceInStates(execution.root); // a redrive enters the unfinished states afresh
    execution.redriveCount++;
    execution.redriveDate = new Date(this.clock.now());
    execution.status = 'RUNNING';
    delete execution.output;
    delete execution.error;
    delete execution.cause;
    delete execution.stopDate;
    this.emit(execution, 'ExecutionRedriven', { redriveCount: execution.redriveCount });
    this.launch(execution);
    return { redriveDate: execution.redriveDate };
  }

  /** The execution's history, oldest first (or newest first with `reverseOrder`). */
  async getExecutionHistory(params: {
    executionArn: string;
    reverseOrder?: boolean;
  }): Promise<{ events: HistoryEvent[] }> {
    const events = structuredClone(this.execution(params.executionArn).history);
    return { events: params.reverseOrder ? events.reverse() : events };
  }

  /** Billable state transitions so far (rule in the module comment). */
  countStateTransitions(executionArn: string): number {
    return this.execution(executionArn).transitions;
  }

  /** Resolves with the description once the execution is no longer RUNNING. */
  waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    const execution = this.execution(executionArn);
    if (execution.status !== 'RUNNING') return Promise.resolve(this.describe(execution));
    return new Promise((resolve) => execution.waiters.push(resolve));
  }

  /** Follows history events of every execution live. Returns an unsubscribe function. */
  onEvent(listener: (event: LiveHistoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Snapshots: stop, and pick up again in another process
  // -------------------------------------------------------------------------------------------------------

  /**
   * Every machine, execution (history, transitions, where a RUNNING one is) and task token, as plain JSON.
   * Taken while executions run, it shows them where they are at that moment: a Task whose handler is
   * mid-flight then runs again when restored (steps are idempotent, as for a retry).
   */
  snapshot(): EngineSnapshot {
    const definitions: string[] = [];
    const definitionIndex = (definition: StateMachineDefinition): number => {
      const json = JSON.stringify(definition);
      const index = definitions.indexOf(json);
      return index >= 0 ? index : definitions.push(json) - 1;
    };
    const iso = (date: Date | undefined) => (date ? { value: date.toISOString() } : undefined);
    return {
      version: ENGINE_SNAPSHOT_VERSION,
      takenAt: this.clock.now(),
      machines: [...this.machines.values()].map((m) => ({
        arn: m.arn,
        name: m.name,
        definition: definitionIndex(m.definition),
        creationDate: m.creationDate.toISOString(),
      })),
      executions: [...this.executions.values()].map((e): ExecutionSnapshot => {
        const stopDate = iso(e.stopDate);
        const redriveDate = iso(e.redriveDate);
        return {
          arn: e.arn,
          name: e.name,
          machineArn: e.machineArn,
          machineName: e.machineName,
          definition: definitionIndex(e.definition),
          inputJson: e.inputJson,
          status: e.status,
          ...(e.status === 'SUCCEEDED' ? { output: structuredClone(e.output) } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
          ...(e.cause !== undefined ? { cause: e.cause } : {}),
          startDate: e.startDate.toISOString(),
          ...(stopDate ? { stopDate: stopDate.value } : {}),
          redriveCount: e.redriveCount,
          ...(redriveDate ? { redriveDate: redriveDate.value } : {}),
          history: e.history.map((h) => ({ ...structuredClone(h), timestamp: h.timestamp.toISOString() })),
          transitions: e.transitions,
          root: structuredClone(e.root),
        };
      }),
      tokens: this.tokens.snapshot(),
      definitions: definitions.map((json) => JSON.parse(json) as unknown),
    };
  }

  /**
   * Loads a snapshot into this engine, which must be new. RUNNING executions stay where they were until
   * {@link resumeExecutions}; their pending task tokens accept callbacks at once.
   * @throws Error when the engine is not empty or the snapshot is not one `snapshot()` wrote
   */
  restore(snapshot: EngineSnapshot): void {
    if (this.machines.size > 0 || this.executions.size > 0)
      throw new Error('restore needs an engine without state machines or executions');
    if (snapshot.version !== ENGINE_SNAPSHOT_VERSION)
      throw new Error(
        `the engine snapshot has format version ${String(snapshot.version)}; this engine reads version ${ENGINE_SNAPSHOT_VERSION}`,
      );
    const definitions = snapshot.definitions.map((definition) => this.parseDefinition(definition));
    const definitionAt = (index: number): StateMachineDefinition => {
      const definition = definitions[index];
      if (!definition) throw new Error(`the engine snapshot has no definition #${index}`);
      return definition;
    };
    for (const m of snapshot.machines) {
      const definition = definitionAt(m.definition);
      this.machines.set(m.arn, {
        arn: m.arn,
        name: m.name,
        definition,
        definitionJson: JSON.stringify(definition),
        creationDate: new Date(m.creationDate),
      });
    }
    for (const e of snapshot.executions) {
      this.executions.set(e.arn, {
        arn: e.arn,
        name: e.name,
        machineArn: e.machineArn,
        machineName: e.machineName,
        definition: definitionAt(e.definition),
        input: JSON.parse(e.inputJson) as unknown,
        inputJson: e.inputJson,
        status: e.status,
        ...(e.status === 'SUCCEEDED' ? { output: e.output } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
        startDate: new Date(e.startDate),
        ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
        redriveCount: e.redriveCount,
        ...(e.redriveDate !== undefined ? { redriveDate: new Date(e.redriveDate) } : {}),
        history: e.history.map((h) => ({ ...h, timestamp: new Date(h.timestamp) })),
        transitions: e.transitions,
        root: e.root,
        waiters: [],
      });
    }
    this.tokens.restore(snapshot.tokens);
  }

  /** Runs the restored RUNNING executions on from where the snapshot left them. */
  resumeExecutions(): void {
    for (const execution of this.executions.values())
      if (execution.status === 'RUNNING' && !execution.controller) this.launch(execution);
  }

  /**
   * Unwinds every running execution without ending it: it stays RUNNING, with nothing recorded as aborted,
   * so that a snapshot taken now resumes it in another engine. Resolves once all have unwound.
   */
  async suspend(): Promise<void> {
    this.suspended = true;
    const running = [...this.executions.values()].filter((e) => e.controller);
    for (const execution of running) execution.controller?.abort(new AbortedError('suspended'));
    await Promise.all(running.map((e) => e.run));
  }

  // -------------------------------------------------------------------------------------------------------
  // Callbacks
  // -------------------------------------------------------------------------------------------------------

  /**
   * Completes a `.waitForTaskToken` task. `output` is a JSON string, as in the API.
   * @throws SfnApiError `TaskDoesNotExist`, `TaskTimedOut`, `InvalidOutput`, `InvalidToken`
   */
  async sendTaskSuccess(params: { taskToken: string; output: string }): Promise<Record<string, never>> {
    this.checkToken(params.taskToken);
    const output = parseJson(
      params.output,
      (message) => new SfnApiError('InvalidOutput', `Output is not valid JSON: ${message}`),
    );
    this.tokens.succeed(params.taskToken, output);
    return {};
  }

  /**
   * Fails a `.waitForTaskToken` task with `error` (default `States.TaskFailed`) and `cause`.
   * @throws SfnApiError `TaskDoesNotExist`, `TaskTimedOut`, `InvalidToken`
   */
  async sendTaskFailure(params: {
    taskToken: string;
    error?: string;
    cause?: string;
  }): Promise<Record<string, never>> {
    this.checkToken(params.taskToken);
    this.tokens.fail(
      params.taskToken,
      new StatesError(params.error ?? StatesErrors.TaskFailed, params.cause),
    );
    return {};
  }

  /**
   * Restarts the HeartbeatSeconds window of a pending task.
   * @throws SfnApiError `TaskDoesNotExist`, `TaskTimedOut`, `InvalidToken`
   */
  async sendTaskHeartbeat(params: { taskToken: string }): Promise<Record<string, never>> {
    this.checkToken(params.taskToken);
    this.tokens.heartbeat(params.taskToken);
    return {};
  }

  private checkToken(token: unknown): void {
    if (typeof token !== 'string' || token.length < 1 || token.length > 2048) {
      throw new SfnApiError('InvalidToken', 'Task token must be a string of 1 to 2048 characters');
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------------------

  private execution(arn: string): ExecutionRecord {
    const execution = this.executions.get(arn);
    if (!execution) throw new SfnApiError('ExecutionDoesNotExist', `Execution does not exist: ${arn}`);
    return execution;
  }

  private describe(e: ExecutionRecord): DescribeExecutionOutput {
    const redrivable = e.status !== 'RUNNING' && e.status !== 'SUCCEEDED';
    return {
      executionArn: e.arn,
      stateMachineArn: e.machineArn,
      name: e.name,
      status: e.status,
      input: e.inputJson,
      ...(e.status === 'SUCCEEDED' ? { output: JSON.stringify(e.output) } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      startDate: e.startDate,
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
      redriveCount: e.redriveCount,
      ...(e.redriveDate ? { redriveDate: e.redriveDate } : {}),
      redriveStatus: redrivable ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
      ...(redrivable ? {} : { redriveStatusReason: `Execution is ${e.status} and cannot be redriven` }),
      stateTransitions: e.transitions,
    };
  }

  private emit(execution: ExecutionRecord, type: HistoryEventType, details: HistoryEventDetails): void {
    const previous = execution.history[execution.history.length - 1];
    const event: HistoryEvent = {
      id: execution.history.length + 1,
      previousEventId: previous?.id ?? 0,
      timestamp: new Date(this.clock.now()),
      type,
      details,
    };
    execution.history.push(event);
    for (const listener of this.listeners) {
      try {
        listener({ ...event, executionArn: execution.arn, stateMachineArn: execution.machineArn });
      } catch {
        // A broken dashboard must not break the execution.
      }
    }
  }

  private host(execution: ExecutionRecord): ExecutionHost {
    return {
      executionArn: execution.arn,
      executionName: execution.name,
      stateMachineArn: execution.machineArn,
      stateMachineName: execution.machineName,
      executionInput: execution.input,
      startTime: execution.startDate.toISOString(),
      redriveCount: execution.redriveCount,
      clock: this.clock,
      taskHandler: this.taskHandler,
      tokens: this.tokens,
      random: this.random,
      emit: (type, details) => this.emit(execution, type, details),
      countTransition: () => {
        execution.transitions++;
      },
      historyLength: () => execution.history.length,
    };
  }

  /** Runs (or resumes) the execution in the background; `execution.run` settles when it closes. */
  private launch(execution: ExecutionRecord): void {
    if (this.suspended) return; // stays RUNNING: the engine restored from a snapshot runs it
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    execution.controller = controller;
    const timeoutTimer = new AbortController();
    const timeoutSeconds = execution.definition.TimeoutSeconds;
    if (timeoutSeconds !== undefined) {
      // The execution timeout restarts with each redrive; a resumed execution keeps what is left of it.
      const since = (execution.redriveDate ?? execution.startDate).getTime();
      const left = Math.max(0, since + timeoutSeconds * 1000 - this.clock.now());
      this.clock.sleep(left, timeoutTimer.signal).then(
        () =>
          controller.abort(
            new AbortedError(
              'timed-out',
              StatesErrors.Timeout,
              `Execution timed out after ${timeoutSeconds} seconds`,
            ),
          ),
        () => undefined,
      );
    }
    const interpreter = new Interpreter(this.host(execution));
    execution.run = (async () => {
      await Promise.resolve(); // let startExecution return before the first state runs
      try {
        const output = await interpreter.runScope(
          execution.definition,
          execution.root,
          execution.input,
          controller.signal,
        );
        this.close(execution, 'SUCCEEDED', { output });
      } catch (err) {
        if (isSuspension(err)) {
          // Suspended: stays RUNNING for the engine that restores the snapshot.
        } else if (err instanceof AbortedError && err.kind === 'timed-out') {
          this.close(execution, 'TIMED_OUT', { error: err.error, cause: err.causeText });
        } else if (err instanceof AbortedError) {
          this.close(execution, 'ABORTED', { error: err.error, cause: err.causeText });
        } else if (err instanceof StatesError) {
          this.close(execution, 'FAILED', { error: err.error, cause: err.causeText });
        } else {
          this.close(execution, 'FAILED', {
            error: StatesErrors.Runtime,
            cause: err instanceof Error ? err.message : String(err),
          });
        }
      } finally {
        timeoutTimer.abort();
        delete execution.controller;
      }
    })();
  }

  private close(
    execution: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: unknown; error?: string | undefined; cause?: string | undefined },
  ): void {
    execution.status = status;
    execution.stopDate = new Date(this.clock.now());
    if (status === 'SUCCEEDED') execution.output = result.output;
    if (result.error) execution.error = result.error;
    if (result.cause !== undefined) execution.cause = result.cause;
    const details: HistoryEventDetails = {
      ...(status === 'SUCCEEDED' ? { output: structuredClone(result.output) } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause !== undefined ? { cause: result.cause } : {}),
    };
    const type: HistoryEventType = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
      ABORTED: 'ExecutionAborted',
    }[status] as HistoryEventType;
    this.emit(execution, type, details);
    const description = this.describe(execution);
    const waiters = execution.waiters.splice(0);
    for (const resolve of waiters) resolve(description);
  }
}
