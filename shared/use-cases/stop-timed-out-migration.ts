import {
  LOG_TAIL_LINES,
  MIGRATION_TIMED_OUT,
  migrationStartedBy,
  migrationSucceeded,
} from '../domain/migrations';
import type { MigrationKind, MigrationTaskView } from '../ports/migrations';
import { targetOf, type RevisionRun } from './deploy-service';
import { settleMigration, type SettleMigrationDeps } from './run-migrations';

/** What the timeout path of "Plan migrations" / "Run migrations" sends: the stage run and its redrive count. */
export type StopTimedOutMigrationRequest = RevisionRun & {
  /** `$$.Execution.RedriveCount`: which attempt's task to stop (each redrive starts its own). */
  redriveCount: number;
};

/** The stage's failure (`$.failure`), as "Record the failure" and the rollback read it. */
export interface TimedOutMigration {
  Error: typeof MIGRATION_TIMED_OUT;
  Cause: string;
}

/**
 * Step "Stop the migration that timed out", on the timeout path of "Plan migrations" and "Run migrations": the
 * state's timeout ended the wait, but not the ECS task, which would go on migrating with nobody waiting.
 *
 * 1. For each kind of task this stage run may have started (plan, migrate: one at most is still running),
 *    read its waiter and find its task (the stored ARN, else ListTasks by startedBy).
 * 2. Remove the waiter first, so the task's stopped event, which follows, finds nothing to answer.
 * 3. Stop a task still running (StopTask, with the reason) and record it as timed out, stopped. A task
 *    that ended on its own meanwhile (its event was lost, or came too late) is recorded as it ended.
 * 4. Return the failure the stage fails with, saying what was stopped.
 *
 * Idempotent: a retry finds the waiter gone and the task stopped, and says so; StopTask of a stopped task
 * changes nothing.
 */
export async function stopTimedOutMigration(
  request: StopTimedOutMigrationRequest,
  deps: SettleMigrationDeps,
): Promise<TimedOutMigration> {
  const { stage } = request;
  const seconds = stage.migrations?.timeoutSeconds;
  const within = seconds === undefined ? 'within its timeout' : `within ${seconds} seconds`;
  const reason = `${STOP_REASON} after ${seconds ?? '?'} s (${request.executionName})`;
  const target = targetOf(request);
  const said: string[] = [];
  let timedOut: MigrationKind = 'migrate';
  let migrated = false;

  for (const kind of ['plan', 'migrate'] as const) {
    const startedBy = migrationStartedBy({
      kind,
      executionName: request.executionName,
      environment: stage.environment,
      region: stage.region,
      digest: request.image.digest,
      attempt: request.redriveCount,
    });
    const waiter = await deps.store.waiter(startedBy);
    const tasks = waiter?.taskArn
      ? [await deps.tasks.describeTask(target, waiter.taskArn)].filter((t) => t !== undefined)
      : await deps.tasks.findTasks(target, startedBy);
    if (waiter) timedOut = kind;

    for (const task of tasks) {
      if (task.lastStatus === 'STOPPED') {
        if (waiter) {
          // It ended on its own, and nobody heard (or too late): record it as it ended.
          await settleMigration({ ...waiter, taskArn: task.taskArn }, task, deps);
          said.push(`task ${task.taskArn} has ended on its own (${ended(task)})`);
          migrated ||= kind === 'migrate' && migrationSucceeded(task);
        } else if (task.stoppedReason?.startsWith(STOP_REASON)) {
          timedOut = kind; // a retry: an earlier attempt of this step stopped it
          said.push(`task ${task.taskArn} is stopped (${ended(task)})`);
        }
        continue;
      }
      timedOut = kind;
      // The waiter goes first: the task's stopped event, which follows the stop, then answers nothing.
      if (waiter) await deps.store.removeWaiter(startedBy, waiter.taskToken);
      const stopped = (await deps.tasks.stopTask(target, task.taskArn, reason)) ?? task;
      const now = deps.clock.now();
      const taskDefinitionArn = waiter?.taskDefinitionArn ?? stopped.taskDefinitionArn;
      await deps.store.record({
        service: request.service,
        environment: stage.environment,
        region: stage.region,
        digest: request.image.digest,
        version: request.version,
        executionName: request.executionName,
        kind,
        outcome: 'timed-out',
        taskArn: task.taskArn,
        startedAt: task.startedAt ?? task.createdAt ?? waiter?.startedAt ?? now,
        endedAt: now,
        reason: `timed out, stopped: did not finish ${within}; the pipeline stopped the task (StopTask)`,
        output: taskDefinitionArn
          ? await deps.tasks.logTail(
              target,
              { taskArn: task.taskArn, taskDefinitionArn, container: stage.container },
              LOG_TAIL_LINES,
            )
          : [],
      });
      said.push(`the pipeline stopped task ${task.taskArn}`);
    }
    // A waiter whose task is nowhere (RunTask never answered) waits for nothing now.
    if (waiter && tasks.length === 0) await deps.store.removeWaiter(startedBy, waiter.taskToken);
  }

  const what = timedOut === 'plan' ? 'migration plan task' : 'migration task';
  const outcome = said.length > 0 ? said.join('; ') : 'no task of this step was found to stop';
  const next = migrated
    ? 'it did migrate: a redrive deploys without migrating again'
    : 'a redrive runs it again in a new task';
  return {
    Error: MIGRATION_TIMED_OUT,
    Cause: `${what} in ${stage.environment}/${stage.region} did not finish ${within}; ${outcome}; nothing was deployed (${next})`,
  };
}

/** How the pipeline's StopTask reason begins: a retried stop knows the tasks it stopped by it. */
const STOP_REASON = 'pipeline: migration step timed out';

function ended(task: MigrationTaskView): string {
  const exit = task.exitCode === undefined ? 'no exit code' : `exit code ${task.exitCode}`;
  const stop = [task.stopCode, task.stoppedReason].filter(Boolean).join(': ');
  return stop ? `${exit}, ${stop}` : exit;
}
