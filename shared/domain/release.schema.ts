import * as z from 'zod';
import { stageSchema } from './stage';
import { lazySchema } from './lazy-schema';

/**
 * The input of a `release` execution. The image is not known yet: the first steps find the image the
 * build pushed as `sha-<commit>`, tag it with the version and pass it, pinned by digest, to every stage.
 */
export const releaseSchema = lazySchema(() =>
  z.object({
    service: z.string().min(1),
    /** The git tag, e.g. v1.4.0 or v1.4.0-rc.1. */
    version: z.string().min(1).max(255),
    commit: z.string().regex(/^[a-f0-9]{40}$/),
    repository: z.string().min(1).max(256),
    registry: z.string().min(1).max(256),
    registryRegion: z.string().min(1).max(32),
    prerelease: z.boolean(),
    allowDowngrade: z.boolean(),
    imageWaitSeconds: z.number().positive(),
    trigger: z.object({
      kind: z.literal('tag'),
      eventId: z.string().min(1).max(256),
      at: z.iso.datetime({ offset: true }),
      /** Where the tag event came from: github, codecommit or custom. */
      origin: z.string().min(1),
      createdBy: z.string().max(256).optional(),
      /** The tag event asked to release a version older than production's. */
      allowDowngrade: z.boolean(),
      /** The tag event asked to deploy even where the image already runs (two tags on one commit). */
      redeploy: z.boolean().optional(),
      /** When the tagged commit was made, when the tag event said (docs/metrics.md). */
      commitAt: z.iso.datetime({ offset: true }).optional(),
    }),
    stages: z.array(stageSchema),
  }),
);
export type Release = z.infer<typeof releaseSchema>;
