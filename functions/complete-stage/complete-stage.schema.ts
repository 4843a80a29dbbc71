import * as z from 'zod';
import {
  bakeResultSchema,
  smokeCheckResultSchema,
  stageRunSchema,
} from '../../shared/domain/stage-run.schema';

/** "Complete the stage": the stage run with what its smoke tests and bake showed. */
export const completeStageSchema = stageRunSchema.extend({
  smoke: z.array(smokeCheckResultSchema),
  bake: bakeResultSchema,
});
