import { ecsTaskStateChangeSchema, taskViewOf } from '../../shared/events/ecs-task-state-change.schema';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { onMigrationTaskStopped, type SettleMigrationDeps } from '../../shared/use-cases/run-migrations';
import { awsSettleMigrationDeps } from '../../shared/wiring/run-migrations-deps';

/**
 * Target of the migration task rule (ECS Task State Change, STOPPED, started by the pipeline): answers the
 * step waiting for the task, continuing the stage on exit code 0 and failing it otherwise. A malformed
 * event changes nothing (MalformedEvent).
 */
export function createSettleMigration(deps: SettleMigrationDeps) {
  return async (event: unknown) => {
    const change = parseEvent(ecsTaskStateChangeSchema, event, 'ECS Task State Change event');
    const settlement = await onMigrationTaskStopped(taskViewOf(change), deps);
    logger.info('migration task stopped', { taskArn: change.detail.taskArn, settlement });
    return settlement;
  };
}

export const handler = lambdaStep('settle-migration', () => createSettleMigration(awsSettleMigrationDeps()));
