import * as z from 'zod';
import { imageRefSchema } from '../../shared/domain/image';
import { lazySchema } from '../../shared/domain/lazy-schema';
import { stageSchema } from '../../shared/domain/stage';

/** "Stop the migration that timed out": the stage run whose migration step timed out, and its redrive count. */
export const stopMigrationSchema = lazySchema(() =>
  z.object({
    executionName: z.string().min(1).max(80),
    service: z.string().min(1),
    version: z.string().min(1),
    commit: z.string().regex(/^[a-f0-9]{7,40}$/),
    image: imageRefSchema,
    stage: stageSchema,
    redriveCount: z.number().int().min(0).default(0),
  }),
);
