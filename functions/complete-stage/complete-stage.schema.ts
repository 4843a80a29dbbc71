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
    /**
     * What the lock, gate and ECS wait returned: when each ended, for the record's timeline
     * (docs/metrics.md). Absent in executions started before the state machine passed them.
     */
    lock: z.object({ at: z.number().optional() }).loose().optional(),
    gate: z
      .object({ openedAt: z.number().optional(), closedSince: z.number().optional() })
      .loose()
      .optional(),
    ecs: z.object({ completedAt: z.number().optional() }).loose().optional(),
  }),
);
