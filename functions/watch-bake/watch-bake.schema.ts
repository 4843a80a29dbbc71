import * as z from 'zod';
import { stageSchema } from '../../shared/domain/stage';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Bake" (a callback): the task's token, the stage and when its service was updated. */
export const watchBakeSchema = lazySchema(() =>
  z.object({
    // Task tokens are opaque and up to 2 KB (beyond 1024 in practice); never logged.
    taskToken: z.string().min(1).max(8192),
    executionName: z.string().min(1).max(80),
    service: z.string().min(1),
    stage: stageSchema,
    deployment: z.object({ startedAt: z.number() }),
  }),
);
