import { createHash } from 'node:crypto';
import type { MigrationKind, MigrationTaskView } from '../ports/migrations';
import { PipelineError } from './errors';

/** The error name a failed migration task fails its step with ("Run migrations" → the stage fails). */
export const MIGRATION_FAILED = 'MigrationFailed';

/**
 * The error name a stage fails with when its migration step outlasted `migrations.timeoutSeconds` (the
 * state's timeout path, statemachines/stage.asl.yml, which stops the task first).
 */
export const MIGRATION_TIMED_OUT = 'MigrationTimedOut';

/** The migration task exited with a non-zero code, or never ran its command: nothing was deployed. */
export class MigrationFailedError extends PipelineError {
  override readonly name = MIGRATION_FAILED;
}

/**
 * Every migration task's `startedBy` begins with this: the ECS Task State Change rule matches it, so the
 * settle function only sees the pipeline's own one-off tasks.
 */
export const MIGRATION_STARTED_BY_PREFIX = 'pipeline-migrations/';

/** ECS allows up to 128 letters, digits, `-`, `/` and `_` in startedBy. */
const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;

/** How many log lines a failure cause and a record keep. */
export const LOG_TAIL_LINES = 20;

/**
 * The `startedBy` of the migration task of one stage run: the same for a retried step (so it finds the task
 * it started instead of starting a second), a new one for each redrive (`attempt`, the execution's redrive
 * count), so a redrive after a fixed database runs the migration again. Readable where it can be
 * (kind, environment, region, digest), hashed where it must be short (the execution name).
 */
export function migrationStartedBy(run: {
  kind: MigrationKind;
  executionName: string;
  environment: string;
  region: string;
  digest: string;
  attempt: number;
}): string {
  const digest = run.digest.replace(/^sha256:/, '').slice(0, 12);
  const execution = createHash('sha256').update(run.executionName).digest('hex').slice(0, 10);
  const value =
    `${MIGRATION_STARTED_BY_PREFIX}${run.kind}/${run.environment}/${run.region}/${digest}/` +
    `${execution}/r${run.attempt}`;
  if (!STARTED_BY.test(value)) throw new Error(`startedBy "${value}" is not one ECS accepts`);
  return value;
}

/** RunTask's clientToken (at most 64 characters): a retried RunTask returns the task it started. */
export function migrationClientToken(startedBy: string): string {
  return createHash('sha256').update(startedBy).digest('hex');
}

/** Exit code 0 of the migration container: anything else (no exit code: it never ran) is a failure. */
export function migrationSucceeded(task: MigrationTaskView): boolean {
  return task.lastStatus === 'STOPPED' && task.exitCode === 0;
}

/**
 * What an operator reads when a migration failed: where, the exit code, ECS's stop code and reason, and
 * the last lines the task logged.
 */
export function migrationFailureCause(
  where: { kind: MigrationKind; environment: string; region: string },
  task: MigrationTaskView,
  logLines: string[],
): string {
  const what = where.kind === 'plan' ? 'migration plan' : 'migration';
  const exit =
    task.exitCode === undefined
      ? 'never ran its command (no exit code)'
      : `exited with code ${task.exitCode}`;
  const stop = [task.stopCode, task.stoppedReason].filter((s) => s !== undefined && s !== '').join(': ');
  const container = task.containerReason ? `; container: ${task.containerReason}` : '';
  const log =
    logLines.length > 0
      ? `; last log lines:\n${logLines.join('\n')}`
      : '; the task logged nothing (or its log configuration is not awslogs)';
  return (
    `${what} in ${where.environment}/${where.region} ${exit} (task ${task.taskArn}` +
    `${stop ? `, stopped: ${stop}` : ''}${container}); nothing was deployed${log}`
  );
}
