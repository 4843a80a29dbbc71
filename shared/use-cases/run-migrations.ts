import type { Clock } from '../clock';
import {
  LOG_TAIL_LINES,
  MIGRATION_FAILED,
  migrationClientToken,
  migrationFailureCause,
  migrationStartedBy,
  migrationSucceeded,
} from '../domain/migrations';
import { PipelineMisconfiguredError } from '../domain/errors';
import type { StageRun } from '../domain/stage-run.schema';
import type { ContainerPlatform, EcsTarget, ExecutionControl } from '../ports/deployment';
import type {
  MigrationKind,
  MigrationRecord,
  MigrationStore,
  MigrationTasks,
  MigrationTaskView,
  MigrationWaiter,
} from '../ports/migrations';
import { findOrRegisterRevision, targetOf, type RevisionRun } from './deploy-service';

/**
 * Migrations run as a one-off ECS task of the revision about to be deployed, before any traffic moves
 * (docs/migrations.md). The "Run migrations" and "Plan migrations" states wait on a callback: the step
 * starts the task and parks its token; the ECS Task State Change event of the task (at once) or the sweep
 * (within its period, when the event was lost) answers it. No polling loop: a migration costs the same two
 * transitions however long it runs.
 */
export interface RunMigrationsDeps {
  platform: ContainerPlatform;
  tasks: MigrationTasks;
  store: MigrationStore;
  executions: ExecutionControl;
  clock: Clock;
}

/** What the task event's target and the sweep need: no revision to register. */
export type SettleMigrationDeps = Omit<RunMigrationsDeps, 'platform'>;

/** What the migration states send: the stage run, the kind of task, its token and the redrive count. */
export type RunMigrationsRequest = Pick<
  StageRun,
  'executionName' | 'service' | 'version' | 'commit' | 'image' | 'stage'
> & {
  taskToken: string;
  kind: MigrationKind;
  /** `$$.Execution.RedriveCount`: a redrive runs the migration again, a retry finds its task. */
  redriveCount: number;
};

/** What the step did; the state's result comes from the callback, this is for the logs. */
export type MigrationStepResult =
  | { status: 'already-migrated'; by: string; at: number }
  | { status: 'running' | 'settled'; startedBy: string; taskArn: string };

/** What the callback hands the state machine when the task exited 0 (the state's result). */
export interface MigrationOutcome {
  kind: MigrationKind;
  outcome: 'succeeded' | 'already-migrated';
  taskArn?: string;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** The last lines the task logged: the migrations applied, or for a plan, the pending ones. */
  output: string[];
  /** When already migrated: the execution that did it. */
  migratedBy?: string;
}

/** What the event or the sweep did with one waiting step. */
export interface MigrationSettlement {
  startedBy: string;
  outcome: 'succeeded' | 'failed' | 'running' | 'expired' | 'unknown';
  delivered?: boolean;
}

/**
 * Step "Run migrations" / "Plan migrations":
 * 1. A migration that already succeeded for this digest in this environment/region answers at once (a
 *    second execution of the same image, or a redrive after the deploy failed, does not migrate again).
 * 2. Find or register the revision to deploy (the one "Deploy to region" then finds and deploys).
 * 3. Park the token under the task's `startedBy` (one put); find the task a retried step started (stored
 *    ARN, then ListTasks by startedBy), or run it (with an idempotency token); set its ARN on the waiter.
 * 4. When the task already stopped (a retry after the end), settle now: its event found no token.
 */
export async function runMigrations(
  request: RunMigrationsRequest,
  deps: RunMigrationsDeps,
): Promise<MigrationStepResult> {
  const { stage } = request;
  const migrations = stage.migrations;
  if (!migrations)
    throw new PipelineMisconfiguredError(
      `stage ${stage.environment}/${stage.region} has no migrations to run (services.${request.service}.migrations)`,
    );
  const command = request.kind === 'plan' ? migrations.planCommand : migrations.command;
  if (!command)
    throw new PipelineMisconfiguredError(
      `services.${request.service}.migrations has no planCommand for the approvers of ${stage.environment}`,
    );
  const now = deps.clock.now();

  if (request.kind === 'migrate') {
    const done = await deps.store.succeeded({
      service: request.service,
      environment: stage.environment,
      region: stage.region,
      digest: request.image.digest,
    });
    if (done) {
      const outcome: MigrationOutcome = {
        kind: 'migrate',
        outcome: 'already-migrated',
        migratedBy: done.executionName,
        output: [],
      };
      await deps.executions.sendTaskSuccess(request.taskToken, outcome);
      return { status: 'already-migrated', by: done.executionName, at: done.endedAt };
    }
  }

  const target = targetOf(request);
  const taskDefinitionArn = await revisionToMigrate(request, deps.platform);
  const startedBy = migrationStartedBy({
    kind: request.kind,
    executionName: request.executionName,
    environment: stage.environment,
    region: stage.region,
    digest: request.image.digest,
    attempt: request.redriveCount,
  });
  const earlier = await deps.store.waiter(startedBy);
  const waiter: MigrationWaiter = {
    startedBy,
    kind: request.kind,
    taskToken: request.taskToken,
    executionName: request.executionName,
    service: request.service,
    environment: stage.environment,
    region: stage.region,
    cluster: stage.cluster,
    ecsService: stage.service,
    taskDefinitionArn,
    container: stage.container,
    digest: request.image.digest,
    version: request.version,
    ...(earlier?.taskArn !== undefined && { taskArn: earlier.taskArn }),
    startedAt: earlier?.startedAt ?? now,
    // An hour past the state's own timeout: the sweep drops it then (the step has timed out long before).
    expiresAt: now + (migrations.timeoutSeconds + 3600) * 1000,
  };
  await deps.store.putWaiter(waiter);

  let task = waiter.taskArn ? await deps.tasks.describeTask(target, waiter.taskArn) : undefined;
  task ??= (await deps.tasks.findTasks(target, startedBy))[0];
  if (!task) {
    task = await deps.tasks.runTask({
      target,
      taskDefinitionArn,
      container: stage.container,
      command,
      startedBy,
      clientToken: migrationClientToken(startedBy),
    });
  }
  if (waiter.taskArn !== task.taskArn) await deps.store.setWaiterTask(startedBy, task.taskArn);
  if (task.lastStatus === 'STOPPED') {
    await settleMigration({ ...waiter, taskArn: task.taskArn }, task, deps);
    return { status: 'settled', startedBy, taskArn: task.taskArn };
  }
  return { status: 'running', startedBy, taskArn: task.taskArn };
}

/** ECS reported a task stopped (its Task State Change event): answer the step waiting for it, if any. */
export async function onMigrationTaskStopped(
  task: MigrationTaskView,
  deps: SettleMigrationDeps,
): Promise<MigrationSettlement> {
  const startedBy = task.startedBy ?? '';
  const waiter = startedBy ? await deps.store.waiter(startedBy) : undefined;
  if (!waiter || task.lastStatus !== 'STOPPED') return { startedBy, outcome: 'unknown' };
  // A task this waiter did not start (its ARN is stored once RunTask answered) changes nothing.
  if (waiter.taskArn !== undefined && waiter.taskArn !== task.taskArn)
    return { startedBy, outcome: 'unknown' };
  return settleMigration({ ...waiter, taskArn: task.taskArn }, task, deps);
}

/**
 * Scheduled sweep: reads the task of every waiting step, so a lost event (or one raised in another region
 * than the pipeline's) delays the stage by one period at most; drops the waiters whose step has timed out.
 */
export async function sweepMigrationWaiters(deps: SettleMigrationDeps): Promise<MigrationSettlement[]> {
  const results: MigrationSettlement[] = [];
  for (const waiter of await deps.store.waiters()) {
    if (waiter.expiresAt < deps.clock.now()) {
      await deps.store.removeWaiter(waiter.startedBy, waiter.taskToken);
      results.push({ startedBy: waiter.startedBy, outcome: 'expired' });
      continue;
    }
    const target = waiterTarget(waiter);
    const task = waiter.taskArn
      ? await deps.tasks.describeTask(target, waiter.taskArn)
      : (await deps.tasks.findTasks(target, waiter.startedBy))[0];
    if (!task || task.lastStatus !== 'STOPPED') {
      results.push({ startedBy: waiter.startedBy, outcome: task ? 'running' : 'unknown' });
      continue;
    }
    results.push(await settleMigration({ ...waiter, taskArn: task.taskArn }, task, deps));
  }
  return results;
}

/**
 * Records the migration, answers the step, and removes the waiter last: a throttled callback leaves the
 * waiter for the next event or sweep. A token Step Functions no longer accepts (the step timed out) is
 * only removed; the record stays, so a redrive does not run a migration that did finish.
 */
export async function settleMigration(
  waiter: MigrationWaiter,
  task: MigrationTaskView,
  deps: SettleMigrationDeps,
): Promise<MigrationSettlement> {
  const output = await deps.tasks.logTail(
    waiterTarget(waiter),
    { taskArn: task.taskArn, taskDefinitionArn: waiter.taskDefinitionArn, container: waiter.container },
    LOG_TAIL_LINES,
  );
  const succeeded = migrationSucceeded(task);
  const startedAt = task.startedAt ?? task.createdAt ?? waiter.startedAt;
  const endedAt = task.stoppedAt ?? deps.clock.now();
  const record: MigrationRecord = {
    service: waiter.service,
    environment: waiter.environment,
    region: waiter.region,
    digest: waiter.digest,
    version: waiter.version,
    executionName: waiter.executionName,
    kind: waiter.kind,
    outcome: succeeded ? 'succeeded' : 'failed',
    taskArn: task.taskArn,
    startedAt,
    endedAt,
    ...(task.exitCode !== undefined && { exitCode: task.exitCode }),
    ...(!succeeded && { reason: [task.stopCode, task.stoppedReason].filter(Boolean).join(': ') }),
    output,
  };
  await deps.store.record(record);
  const answer = succeeded
    ? deps.executions.sendTaskSuccess(waiter.taskToken, {
        kind: waiter.kind,
        outcome: 'succeeded',
        taskArn: task.taskArn,
        startedAt,
        endedAt,
        durationMs: Math.max(0, endedAt - startedAt),
        output,
      } satisfies MigrationOutcome)
    : deps.executions.sendTaskFailure(
        waiter.taskToken,
        MIGRATION_FAILED,
        migrationFailureCause(waiter, task, output),
      );
  const delivered = await answer.catch((error: unknown) => {
    if ((error as Error | undefined)?.name === 'InvalidToken') return false;
    throw error;
  });
  await deps.store.removeWaiter(waiter.startedBy, waiter.taskToken);
  return { startedBy: waiter.startedBy, outcome: succeeded ? 'succeeded' : 'failed', delivered };
}

function waiterTarget(waiter: MigrationWaiter): EcsTarget {
  return { region: waiter.region, cluster: waiter.cluster, service: waiter.ecsService };
}

/**
 * The revision "Deploy to region" will deploy: found or registered from the revision the service runs now,
 * as the deploy step does (so the deploy finds it and registers nothing more). The migration runs the very
 * code being deployed.
 */
async function revisionToMigrate(run: RevisionRun, platform: ContainerPlatform): Promise<string> {
  const service = await platform.describeService(targetOf(run));
  return (await findOrRegisterRevision(run, service.taskDefinitionArn, platform)).revision.arn;
}

/**
 * The approval's evidence row for a stage whose migrations need it: the pending migrations the plan task
 * printed (its last log lines), or why there is nothing to show.
 */
export function describeMigrationPlan(
  stage: { environment: string; region: string },
  plan: MigrationRecord | undefined,
): Record<string, string> {
  const key = `migrations to apply in ${stage.environment}/${stage.region} (approving migrates, then deploys)`;
  if (!plan)
    return { [key]: 'no plan was recorded: ask the team what the release migrates before approving' };
  const lines = plan.output.filter((l) => l.trim() !== '');
  return { [key]: lines.length > 0 ? lines.join(' | ') : 'the plan printed nothing: nothing pending' };
}
