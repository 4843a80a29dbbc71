import * as z from 'zod';
import { imageRefSchema } from '../../shared/domain/image';
import { lazySchema } from '../../shared/domain/lazy-schema';
import { stageSchema } from '../../shared/domain/stage';

/** "Plan migrations" and "Run migrations" (callbacks): the token, the kind of task and the stage run. */
export const runMigrationsSchema = lazySchema(() =>
  z.object({
    // Task tokens are opaque and up to 2 KB (beyond 1024 in practice); never logged.
    taskToken: z.string().min(1).max(8192),
    kind: z.enum(['plan', 'migrate']),
    executionName: z.string().min(1).max(80),
    service: z.string().min(1),
    version: z.string().min(1),
    commit: z.string().regex(/^[a-f0-9]{7,40}$/),
    image: imageRefSchema,
    stage: stageSchema,
    redriveCount: z.number().int().min(0).default(0),
  }),
);
