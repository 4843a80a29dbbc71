import { lazySchema } from '../../shared/domain/lazy-schema';
import { runMigrationsSchema } from '../run-migrations/run-migrations.schema';

/**
 * "Stop the migration that timed out": the stage run whose migration step timed out, and its redrive count;
 * what "Run migrations" receives, without the token and kind (it stops whichever task of the step runs).
 */
export const stopMigrationSchema = lazySchema(() =>
  runMigrationsSchema.omit({ taskToken: true, kind: true }),
);
