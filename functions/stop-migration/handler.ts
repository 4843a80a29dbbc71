import { lambdaStep } from '../../shared/middleware/lambda-step';
import type { SettleMigrationDeps } from '../../shared/use-cases/run-migrations';
import { stopTimedOutMigration } from '../../shared/use-cases/stop-timed-out-migration';
import { awsSettleMigrationDeps } from '../../shared/wiring/run-migrations-deps';
import { stopMigrationSchema } from './stop-migration.schema';

/**
 * "Stop the migration that timed out" (the timeout path of "Plan migrations" / "Run migrations"): stops the task
 * the step started, records it as timed out, and returns the stage's failure (`MigrationTimedOut`).
 */
export function createStopMigration(deps: SettleMigrationDeps) {
  return async (event: unknown) => stopTimedOutMigration(stopMigrationSchema.parse(event), deps);
}

export const handler = lambdaStep('stop-migration', () => createStopMigration(awsSettleMigrationDeps()));
