import * as z from 'zod';
import { imageRefSchema } from './image';
import { stageSchema } from './stage';
import { lazySchema } from './lazy-schema';

/**
 * The input of a `promote` execution: one image, pinned by digest, and the stages it goes through.
 * Everything a step needs is here, so a retried or redriven step acts on what the execution started with.
 */
export const promotionSchema = lazySchema(() =>
  z.object({
    service: z.string().min(1),
    /** What people call this build: `sha-<commit>` for a push, `vX.Y.Z` for a release. */
    version: z.string().min(1),
    commit: z.string().regex(/^[a-f0-9]{7,40}$/),
    image: imageRefSchema,
    trigger: z.object({
      kind: z.enum(['push', 'tag']),
      eventId: z.string().min(1).max(256),
      at: z.iso.datetime({ offset: true }),
      /** Set by `pipeline rollback`: deploy this older version on purpose. */
      allowDowngrade: z.boolean().optional(),
      /** Who ran `pipeline rollback`. */
      rollbackBy: z.string().max(512).optional(),
    }),
    stages: z.array(stageSchema),
  }),
);
export type Promotion = z.infer<typeof promotionSchema>;
