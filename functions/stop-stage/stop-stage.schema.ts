import * as z from 'zod';
import { failedStageStateSchema, stageRunSchema } from '../../shared/domain/stage-run.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Stop the stage": the stage run, what its failure left in `state`, and the execution's redrive count now. */
export const stopStageSchema = lazySchema(() =>
  stageRunSchema
    .pick({ executionName: true, trigger: true, service: true, version: true, image: true, stage: true })
    .extend({
      // Any commit the execution carried: the stage must stop whatever state it failed in.
      commit: z.string().min(1),
      state: failedStageStateSchema,
      redriveCount: z.number().int().min(0),
    }),
);
