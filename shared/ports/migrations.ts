/**
 * The ports of the "Run migrations" step (docs/migrations.md): one-off tasks of the revision about to be
 * deployed, the task tokens that wait for them, and the record of what migrated where. AWS adapters are
 * `shared/aws/migration-tasks.adapter.ts` and `shared/aws/migration-store.adapter.ts`; the local runtime's
 * is `local-runtime/adapters/local-migrations.ts`.
 */
import type { EcsTarget } from './deployment';

/** What a migration task is asked to do: the plan command lists pending migrations, migrate applies them. */
export type MigrationKind = 'plan' | 'migrate';

/** One-off task of the new revision in the service's cluster, with the service's network settings. */
export interface MigrationTaskRequest {
  target: EcsTarget;
  taskDefinitionArn: string;
  container: string;
  command: string[];
  /** Tags the task so a retried step finds it (ListTasks by startedBy); at most 128 characters. */
  startedBy: string;
  /** RunTask's idempotency token: a retried RunTask returns the task it started (at most 64 characters). */
  clientToken: string;
}

/** A migration task as ECS reports it. */
export interface MigrationTaskView {
  taskArn: string;
  /** PROVISIONING … RUNNING … STOPPED. */
  lastStatus: string;
  startedBy?: string;
  /** The revision the task runs (where its log configuration is). */
  taskDefinitionArn?: string;
  /** Epoch ms. */
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** The exit code of the migration container, once it exited. */
  exitCode?: number;
  /** Why the container stopped, when ECS says (e.g. CannotPullContainerError). */
  containerReason?: string;
}

export interface MigrationTasks {
  /** Starts the task in the service's cluster, subnets, security groups and launch type. */
  runTask(request: MigrationTaskRequest): Promise<MigrationTaskView>;
  /** Tasks of the cluster tagged `startedBy`, running or recently stopped. */
  findTasks(target: EcsTarget, startedBy: string): Promise<MigrationTaskView[]>;
  describeTask(target: EcsTarget, taskArn: string): Promise<MigrationTaskView | undefined>;
  /**
   * Stops the task (ECS StopTask: SIGTERM, then SIGKILL after the container's stop timeout) with `reason`
   * (at most 255 characters) as its stopped reason. Idempotent: a task already stopped stays stopped;
   * undefined when ECS no longer knows the task (stopped more than about an hour ago).
   */
  stopTask(target: EcsTarget, taskArn: string, reason: string): Promise<MigrationTaskView | undefined>;
  /** The last `lines` lines the container logged (empty when its log configuration is not awslogs). */
  logTail(
    target: EcsTarget,
    task: { taskArn: string; taskDefinitionArn: string; container: string },
    lines: number,
  ): Promise<string[]>;
}

/** A step waiting for its migration task: what the ECS event or the sweep needs to answer it. */
export interface MigrationWaiter {
  startedBy: string;
  kind: MigrationKind;
  taskToken: string;
  executionName: string;
  service: string;
  environment: string;
  region: string;
  cluster: string;
  /** The ECS service (for the target), the revision and container the task runs. */
  ecsService: string;
  taskDefinitionArn: string;
  container: string;
  digest: string;
  version: string;
  /** Set once RunTask answered. */
  taskArn?: string;
  /** Epoch ms: when the step started the task, and after which the waiter is dropped. */
  startedAt: number;
  expiresAt: number;
}

/** A migration that ran to its end, for the records, `pipeline show` and the "already migrated" check. */
export interface MigrationRecord {
  service: string;
  environment: string;
  region: string;
  digest: string;
  version: string;
  executionName: string;
  kind: MigrationKind;
  /** `timed-out`: the step's timeout ended the wait and the pipeline stopped the task (`reason` says so). */
  outcome: 'succeeded' | 'failed' | 'skipped' | 'timed-out';
  taskArn?: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  exitCode?: number;
  reason?: string;
  /** The last lines of the task's log: what it applied (or planned), or why it failed. */
  output: string[];
}

/** Waiters and records of migration tasks (the pipeline table). */
export interface MigrationStore {
  /** Stores the waiter (once a step); a retried step's new token replaces the old one. */
  putWaiter(waiter: MigrationWaiter): Promise<void>;
  /**
   * Sets the task of a stored waiter (once RunTask answered). Only while the waiter exists: false when it is
   * gone (its task stopped and was settled meanwhile), which is not an error.
   */
  setWaiterTask(startedBy: string, taskArn: string): Promise<boolean>;
  waiter(startedBy: string): Promise<MigrationWaiter | undefined>;
  /** Every step waiting now, for the sweep. */
  waiters(): Promise<MigrationWaiter[]>;
  /** Removes the waiter only while it holds `taskToken`; nothing to remove is not an error. */
  removeWaiter(startedBy: string, taskToken: string): Promise<void>;
  /** Records a finished migration (idempotent per task). */
  record(record: MigrationRecord): Promise<void>;
  /** The successful migration of `digest` in this environment/region, if one ran. */
  succeeded(
    key: Pick<MigrationRecord, 'service' | 'environment' | 'region' | 'digest'>,
  ): Promise<MigrationRecord | undefined>;
  /** Every migration record of a service, newest first. */
  history(service: string): Promise<MigrationRecord[]>;
  /** The last plan this execution ran for the stage (what its approvers are shown). */
  plan(executionName: string, environment: string, region: string): Promise<MigrationRecord | undefined>;
}
