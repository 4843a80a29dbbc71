import * as z from 'zod';
import { caughtFailureSchema, stageRunSchema } from '../../shared/domain/stage-run.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

// The rollback acts on the stage alone: it must work whatever state the failed step left behind (even an
// empty error name).
export const rollBackServiceSchema = lazySchema(() =>
  stageRunSchema.pick({ executionName: true, stage: true }).extend({
    failure: caughtFailureSchema.extend({ Error: z.string() }).optional(),
  }),
);
