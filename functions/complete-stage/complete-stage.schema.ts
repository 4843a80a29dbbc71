import * as z from 'zod';
import {
  bakeResultSchema,
  smokeCheckResultSchema,
  stageRunSchema,
} from '../../shared/domain/stage-run.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Complete the stage": the stage run with what its smoke tests and bake showed. */
export const completeStageSchema = lazySchema(() =>
  stageRunSchema.extend({
    smoke: z.array(smokeCheckResultSchema),
    bake: bakeResultSchema,
  }),
);
