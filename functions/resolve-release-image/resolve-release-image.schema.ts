import * as z from 'zod';
import { releaseSchema } from '../../shared/domain/release.schema';
import { lazySchema } from '../../shared/domain/lazy-schema';

/** "Resolve the release image": where to look, how long to wait, and since when the release waits. */
export const resolveReleaseImageSchema = lazySchema(() =>
  releaseSchema
    .pick({
      version: true,
      commit: true,
      repository: true,
      registry: true,
      registryRegion: true,
      imageWaitSeconds: true,
    })
    .extend({ waitingSince: z.iso.datetime({ offset: true }) }),
);
