import * as z from 'zod';
import {
  bakeResultSchema,
  smokeCheckResultSchema,
  stageRunSchema,
} from '../../shared/domain/stage-run.schema';

/** "Release the deployment lock": the stage run with what its smoke tests and bake showed. */
export const releaseStageLockSchema = stageRunSchema.extend({
  smoke: z.array(smokeCheckResultSchema),
  bake: bakeResultSchema,
});
