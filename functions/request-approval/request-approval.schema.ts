import * as z from 'zod';
import { imageRefSchema } from '../../shared/domain/image';
import { stageSchema } from '../../shared/domain/stage';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Wait for approval": the stage run with the task's token; the stage must carry an approval policy. */
export const requestApprovalSchema = lazySchema(() =>
  z.object({
    // Task tokens are opaque and up to 2 KB (beyond 1024 in practice); never logged.
    taskToken: z.string().min(1).max(8192),
    executionName: z.string().min(1).max(80),
    service: z.string().min(1),
    version: z.string().min(1).max(255),
    commit: z.string().regex(/^[a-f0-9]{7,40}$/),
    image: imageRefSchema,
    stage: stageSchema.required({ approval: true }),
    trigger: z.object({ createdBy: z.string().max(256).optional() }).loose(),
  }),
);
