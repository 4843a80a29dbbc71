import * as z from 'zod';
import { stageRunSchema } from '../../shared/domain/stage-run.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** The stage's state as it stands; `gate` is the previous check's result while the stage waits. */
export const checkDeploymentGateSchema = lazySchema(() =>
  stageRunSchema.extend({
    gate: z
      .object({ waitingSince: z.number().optional(), checks: z.number().int().nonnegative().optional() })
      .optional(),
  }),
);
