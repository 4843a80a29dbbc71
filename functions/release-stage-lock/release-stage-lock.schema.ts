import * as z from 'zod';
import {
  bakeResultSchema,
  smokeCheckResultSchema,
  stageRunSchema,
} from '../../shared/domain/stage-run.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Release the deployment lock": the stage run with what its smoke tests and bake showed. */
export const releaseStageLockSchema = lazySchema(() =>
  stageRunSchema.extend({
    smoke: z.array(smokeCheckResultSchema),
    bake: bakeResultSchema,
  }),
);
