import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import type { ContainerPlatform, EcsTarget } from '../../shared/ports/deployment';
import type { MigrationTaskRequest, MigrationTasks, MigrationTaskView } from '../../shared/ports/migrations';

/** What the local migration runner is given: the task, and the revision's container as ECS would run it. */
export interface LocalMigrationContext {
  taskArn: string;
  target: EcsTarget;
  container: string;
  command: string[];
  image: string;
  /** The container's environment (PIPELINE_COMMIT, PIPELINE_STAGE, …). */
  environment: Record<string, string>;
  /**
   * Aborted when ECS stops the container (StopTask, or the local stack closing): a runner with a real process
   * ends it as ECS does, SIGTERM and then SIGKILL after the stop timeout.
   */
  stop?: AbortSignal;
}

export interface LocalMigrationResult {
  exitCode: number;
  /** What the container logged, line by line. */
  output: string[];
  /** How long the task runs, in pipeline time (default {@link LocalMigrationTasksOptions.taskMs}). */
  durationMs?: number;
  /** The task never exits (a migration waiting on a lock): only the step's timeout ends the wait. */
  hangs?: boolean;
}

/** Runs a migration command: a real child process in the local stack, a function in tests. */
export type LocalMigrationRunner = (context: LocalMigrationContext) => Promise<LocalMigrationResult>;

export interface LocalMigrationTasksOptions {
  clock: Clock;
  /** The local ECS: the service the task takes its settings from, the revision it runs. */
  platform: ContainerPlatform;
  runner: LocalMigrationRunner;
  /** ECS's Task State Change event of a task that stopped (put on the bus unless events are dropped). */
  onTaskStopped?: (event: unknown) => void;
  /** Holds pipeline time still while a real process runs (the local pipeline's `track`). */
  track?: <T>(work: Promise<T>) => Promise<T>;
  /** How long a task takes from RunTask to STOPPED, in pipeline time, unless the runner says. Default 30 s. */
  taskMs?: number;
  account?: string;
}

interface LocalTask extends MigrationTaskView {
  target: EcsTarget;
  taskDefinitionArn: string;
  container: string;
  command: string[];
  clientToken: string;
  output: string[];
}

/** The one-off tasks as plain JSON, for `pipeline local --data-dir`. */
export type LocalMigrationTasksSnapshot = LocalTask[];

/** What a task being run has besides its view: how to stop its container, and whether it still runs. */
interface Running {
  stop: AbortController;
  /** The runner has not answered yet: a real process is still running. */
  process: boolean;
}

/** ECS keeps a stopped task at least an hour; a saved state keeps those stopped within the last hour. */
const STOPPED_TASKS_KEPT_MS = 60 * 60_000;
/** ECS's stop code of a task whose host went away; here, the local stack that ran its process. */
const RESTART_STOP_CODE = 'TerminationNotice';

const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;

/**
 * ECS one-off tasks on one machine, as strict as ECS where the pipeline depends on it: `startedBy` of at
 * most 128 allowed characters, a clientToken of at most 64 that returns the task it started, a task
 * definition and container that must exist, ListTasks by startedBy, and a Task State Change event when
 * the task stops. The command runs through the runner (a real child process in the local stack).
 */
export class LocalMigrationTasks implements MigrationTasks {
  private readonly tasks = new Map<string, LocalTask>();
  private readonly running = new Map<string, Running>();
  private readonly stopped = new AbortController();
  /** Stopped events of the tasks a restart stopped, sent on `resume()`. */
  private readonly restartEvents: unknown[] = [];
  /** Every RunTask that started a task, in order, for tests to assert on. */
  readonly started: { taskArn: string; startedBy: string; command: string[]; taskDefinitionArn: string }[] =
    [];

  constructor(private readonly options: LocalMigrationTasksOptions) {}

  async runTask(request: MigrationTaskRequest): Promise<MigrationTaskView> {
    if (!STARTED_BY.test(request.startedBy))
      throw new Error(`InvalidParameterException: startedBy "${request.startedBy}" is not valid`);
    if (request.clientToken.length > 64)
      throw new Error('InvalidParameterException: clientToken is longer than 64 characters');
    const same = [...this.tasks.values()].find((t) => t.clientToken === request.clientToken);
    if (same) return view(same);
    await this.options.platform.describeService(request.target);
    const definition = await this.options.platform.describeTaskDefinition(
      request.target.region,
      request.taskDefinitionArn,
    );
    const container = definition.containers.find((c) => c.name === request.container);
    if (!container)
      throw new PipelineMisconfiguredError(
        `InvalidParameterException: task definition ${definition.arn} has no container "${request.container}"`,
      );
    const now = this.options.clock.now();
    const { region, cluster } = request.target;
    const taskArn = `arn:aws:ecs:${region}:${this.options.account ?? '123456789012'}:task/${cluster}/${randomBytes(16).toString('hex')}`;
    const task: LocalTask = {
      taskArn,
      lastStatus: 'PROVISIONING',
      startedBy: request.startedBy,
      createdAt: now,
      target: request.target,
      taskDefinitionArn: definition.arn,
      container: request.container,
      command: [...request.command],
      clientToken: request.clientToken,
      output: [],
    };
    this.tasks.set(taskArn, task);
    this.started.push({
      taskArn,
      startedBy: request.startedBy,
      command: [...request.command],
      taskDefinitionArn: definition.arn,
    });
    void this.run(task, { image: container.image, environment: { ...container.environment } });
    return view(task);
  }

  async findTasks(target: EcsTarget, startedBy: string): Promise<MigrationTaskView[]> {
    return [...this.tasks.values()]
      .filter((t) => t.startedBy === startedBy && sameCluster(t.target, target))
      .map(view);
  }

  async describeTask(target: EcsTarget, taskArn: string): Promise<MigrationTaskView | undefined> {
    const task = this.tasks.get(taskArn);
    return task && sameCluster(task.target, target) ? view(task) : undefined;
  }

  async logTail(
    _target: EcsTarget,
    task: { taskArn: string; taskDefinitionArn: string; container: string },
    lines: number,
  ): Promise<string[]> {
    return this.tasks.get(task.taskArn)?.output.slice(-lines) ?? [];
  }

  /**
   * ECS StopTask (stop code UserInitiated, `reason` as the stopped reason); a stopped or stopping task
   * stays as it was; an unknown one is undefined (ECS forgets stopped tasks). A task whose process still
   * runs is STOPPING: the process gets SIGTERM, then SIGKILL after the stop timeout (the runner's), and
   * the task is STOPPED with the process's exit code (143, 137) once it ended, when its Task State Change
   * event follows. A task whose runner answered already (the container runs on in pipeline time) stops at
   * once, with exit code 143 as a container that ends on SIGTERM.
   */
  async stopTask(target: EcsTarget, taskArn: string, reason: string): Promise<MigrationTaskView | undefined> {
    const task = this.tasks.get(taskArn);
    if (!task || !sameCluster(task.target, target)) return undefined;
    if (task.lastStatus === 'STOPPED' || task.lastStatus === 'STOPPING') return view(task);
    task.stopCode = 'UserInitiated';
    task.stoppedReason = reason.slice(0, 255);
    const running = this.running.get(taskArn);
    running?.stop.abort();
    if (running?.process) {
      task.lastStatus = 'STOPPING';
      return view(task);
    }
    this.end(task, 143);
    return view(task);
  }

  /**
   * The local stack is closing: ends every task's wait and the processes of those still running (SIGTERM,
   * then SIGKILL). Their tasks stay as they were, for the saved state: the next start stops them.
   */
  stop(): void {
    this.stopped.abort();
    for (const running of this.running.values()) running.stop.abort();
  }

  /** The tasks as plain JSON: every one not stopped, and those stopped within the last hour (as ECS). */
  snapshot(): LocalMigrationTasksSnapshot {
    const since = this.options.clock.now() - STOPPED_TASKS_KEPT_MS;
    return structuredClone(
      [...this.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED' || (t.stoppedAt ?? 0) >= since),
    );
  }

  /**
   * Takes a snapshot's tasks. ECS would have kept a running task's container running; the local stand-in
   * cannot keep a process across a restart of the stack, so a task that was not stopped is STOPPED now,
   * saying so, and its Task State Change event goes out on `resume()`: the step fails at once with that
   * cause (not at its timeout) and a redrive runs the migration again in a new task.
   */
  restore(snapshot: LocalMigrationTasksSnapshot): void {
    this.tasks.clear();
    for (const task of structuredClone(snapshot)) {
      this.tasks.set(task.taskArn, task);
      if (task.lastStatus === 'STOPPED') continue;
      task.stopCode = RESTART_STOP_CODE;
      task.stoppedReason =
        'local stack restarted: its process ended with the stack (ECS would have kept the container running); a redrive runs the task again';
      // The exit code of the process the closing stack ended, when it said (143 SIGTERM, 137 SIGKILL).
      this.end(task, task.exitCode, false);
      this.restartEvents.push(taskStateChange(task, this.options.account ?? '123456789012'));
    }
  }

  /** Sends the stopped events of the tasks `restore` stopped: once the stack's executions run again. */
  resume(): void {
    for (const event of this.restartEvents.splice(0)) this.options.onTaskStopped?.(event);
  }

  private async run(task: LocalTask, revision: { image: string; environment: Record<string, string> }) {
    const { clock } = this.options;
    const track = this.options.track ?? (<T>(work: Promise<T>) => work);
    const running: Running = { stop: new AbortController(), process: true };
    this.running.set(task.taskArn, running);
    let result: LocalMigrationResult;
    try {
      task.lastStatus = 'RUNNING';
      task.startedAt = clock.now();
      result = await track(
        this.options.runner({
          taskArn: task.taskArn,
          target: task.target,
          container: task.container,
          command: task.command,
          ...revision,
          stop: running.stop.signal,
        }),
      );
    } catch (error) {
      result = { exitCode: 1, output: [`cannot run ${task.command.join(' ')}: ${(error as Error).message}`] };
    }
    running.process = false;
    task.output = result.output;
    if (this.stopped.signal.aborted) {
      // The stack is closing: the task stays as it is for the saved state, with how its process ended.
      if (task.lastStatus !== 'STOPPED') task.exitCode = result.exitCode;
      return;
    }
    if (task.lastStatus === 'STOPPING') return this.end(task, result.exitCode); // StopTask ended its process
    if (task.lastStatus === 'STOPPED') return;
    try {
      const ms = result.hangs ? 365 * 24 * 3600 * 1000 : (result.durationMs ?? this.options.taskMs ?? 30_000);
      await clock.sleep(ms, AbortSignal.any([this.stopped.signal, running.stop.signal]));
    } catch {
      return; // the local stack is shutting down, or StopTask stopped the task
    }
    if (task.lastStatus === 'STOPPED') return;
    task.stopCode = 'EssentialContainerExited';
    task.stoppedReason = 'Essential container in task exited';
    this.end(task, result.exitCode);
  }

  /** The task is STOPPED now; ECS announces it (unless `announce` is false). */
  private end(task: LocalTask, exitCode: number | undefined, announce = true): void {
    this.running.delete(task.taskArn);
    task.lastStatus = 'STOPPED';
    task.stoppedAt = this.options.clock.now();
    if (exitCode === undefined) delete task.exitCode;
    else task.exitCode = exitCode;
    if (announce) this.options.onTaskStopped?.(taskStateChange(task, this.options.account ?? '123456789012'));
  }
}

function sameCluster(a: EcsTarget, b: EcsTarget): boolean {
  return a.region === b.region && a.cluster === b.cluster;
}

function view(task: LocalTask): MigrationTaskView {
  return {
    taskArn: task.taskArn,
    lastStatus: task.lastStatus,
    ...(task.startedBy !== undefined && { startedBy: task.startedBy }),
    taskDefinitionArn: task.taskDefinitionArn,
    ...(task.createdAt !== undefined && { createdAt: task.createdAt }),
    ...(task.startedAt !== undefined && { startedAt: task.startedAt }),
    ...(task.stoppedAt !== undefined && { stoppedAt: task.stoppedAt }),
    ...(task.stopCode !== undefined && { stopCode: task.stopCode }),
    ...(task.stoppedReason !== undefined && { stoppedReason: task.stoppedReason }),
    ...(task.exitCode !== undefined && { exitCode: task.exitCode }),
  };
}

/** ECS's `ECS Task State Change` event of a stopped task, with the fields the pipeline reads. */
export function taskStateChange(task: LocalTask, account: string): unknown {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    version: '0',
    id: `ecs-task-${task.taskArn.split('/').pop()}-stopped`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account,
    time: iso(task.stoppedAt),
    region: task.target.region,
    resources: [task.taskArn],
    detail: {
      taskArn: task.taskArn,
      clusterArn: `arn:aws:ecs:${task.target.region}:${account}:cluster/${task.target.cluster}`,
      taskDefinitionArn: task.taskDefinitionArn,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      startedBy: task.startedBy,
      group: `family:${task.taskDefinitionArn.split('/').pop()?.split(':')[0] ?? ''}`,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      createdAt: iso(task.createdAt),
      startedAt: iso(task.startedAt),
      stoppedAt: iso(task.stoppedAt),
      overrides: { containerOverrides: [{ name: task.container, command: task.command }] },
      containers: [{ name: task.container, exitCode: task.exitCode, lastStatus: 'STOPPED' }],
    },
  };
}
