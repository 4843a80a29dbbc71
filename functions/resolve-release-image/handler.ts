import * as z from 'zod';
import { EcrImageRegistry } from '../../shared/aws/ecr.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import type { ImageRegistry } from '../../shared/releases/image-registry';
import { resolveReleaseImage } from '../../shared/use-cases/resolve-release-image';

const resolveSchema = z.object({
  version: z.string().min(1).max(255),
  commit: z.string().regex(/^[a-f0-9]{40}$/),
  repository: z.string().min(1).max(256),
  registry: z.string().min(1).max(256),
  registryRegion: z.string().min(1).max(32),
  imageWaitSeconds: z.number().positive(),
  waitingSince: z.iso.datetime({ offset: true }),
});

/** "Resolve the release image": finds sha-<commit>, tags it with the version, returns it by digest. */
export function createResolveReleaseImage(deps: { registry: ImageRegistry; clock: Clock }) {
  return async (event: unknown) => resolveReleaseImage(resolveSchema.parse(event), deps);
}

export const handler = lambdaStep('resolve-release-image', () =>
  createResolveReleaseImage({ registry: new EcrImageRegistry(), clock: systemClock }),
);
