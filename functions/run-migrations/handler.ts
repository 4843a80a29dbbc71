import { lambdaStep } from '../../shared/middleware/lambda-step';
import { runMigrations, type RunMigrationsDeps } from '../../shared/use-cases/run-migrations';
import { awsRunMigrationsDeps } from '../../shared/wiring/run-migrations-deps';
import { runMigrationsSchema } from './run-migrations.schema';

/**
 * "Plan migrations" / "Run migrations" (callbacks): start the one-off task of the new revision (or find
 * the one a retry started) and park the token until the task stops (ECS event or sweep).
 */
export function createRunMigrations(deps: RunMigrationsDeps) {
  return async (event: unknown) => runMigrations(runMigrationsSchema.parse(event), deps);
}

export const handler = lambdaStep('run-migrations', () => createRunMigrations(awsRunMigrationsDeps()));
