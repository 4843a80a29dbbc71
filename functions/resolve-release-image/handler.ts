import { EcrImageRegistry } from '../../shared/aws/ecr.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import type { ImageRegistry } from '../../shared/ports/images';
import { resolveReleaseImage } from '../../shared/use-cases/resolve-release-image';
import { resolveReleaseImageSchema } from './resolve-release-image.schema';

/** "Resolve the release image": finds sha-<commit>, tags it with the version, returns it by digest. */
export function createResolveReleaseImage(deps: { registry: ImageRegistry; clock: Clock }) {
  return async (event: unknown) => resolveReleaseImage(resolveReleaseImageSchema.parse(event), deps);
}

export const handler = lambdaStep('resolve-release-image', () =>
  createResolveReleaseImage({ registry: new EcrImageRegistry(), clock: systemClock }),
);
