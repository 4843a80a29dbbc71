import type { Clock } from '../clock';
import { ImageNotFoundError } from '../domain/errors';
import { imageRecheckSeconds } from '../domain/history-budget';
import type { ImageRef } from '../domain/image';
import type { ImageRegistry } from '../ports/images';
import type { Release } from '../domain/release.schema';

export type ImageResolution =
  | { found: true; image: ImageRef; buildTag: string }
  | { found: false; retryAfterSeconds: number; waitedSeconds: number };

/** The commit lengths builds commonly tag with: full, then the short forms git and CI systems print. */
const COMMIT_TAG_LENGTHS = [40, 12, 8, 7];

/**
 * Finds the image the build pushed for the release's commit and tags it with the version.
 *
 * 1. Look up `sha-<commit>` (full, then short forms) in the service's repository.
 * 2. Not there yet: ask to be called again in a minute (longer for long waits, so the loop stays within
 *    the execution's history limit), until the configured wait has passed since
 *    `waitingSince`; then fail with "no image sha-<commit> in <repository>".
 * 3. Add the version tag to the same manifest (idempotent; a tag on another image is a conflict) and
 *    return the image pinned by digest, which every stage then deploys.
 */
export async function resolveReleaseImage(
  request: Pick<
    Release,
    'version' | 'commit' | 'repository' | 'registry' | 'registryRegion' | 'imageWaitSeconds'
  > & {
    waitingSince: string;
  },
  deps: { registry: ImageRegistry; clock: Clock },
): Promise<ImageResolution> {
  const region = request.registryRegion;
  for (const length of COMMIT_TAG_LENGTHS) {
    const buildTag = `sha-${request.commit.slice(0, length)}`;
    const digest = await deps.registry.digestOf({ region, repository: request.repository, tag: buildTag });
    if (!digest) continue;
    await deps.registry.addTag({ region, repository: request.repository, digest, tag: request.version });
    return {
      found: true,
      buildTag,
      image: { registry: request.registry, repository: request.repository, digest },
    };
  }

  const waitedSeconds = Math.max(0, Math.round((deps.clock.now() - Date.parse(request.waitingSince)) / 1000));
  if (waitedSeconds >= request.imageWaitSeconds)
    throw new ImageNotFoundError(
      `no image sha-${request.commit} in ${request.repository} after waiting ${Math.round(waitedSeconds / 60)} min: ` +
        'did the build of this commit push its image? Push it, then redrive this execution.',
    );
  const retryAfterSeconds = Math.min(
    imageRecheckSeconds(request.imageWaitSeconds),
    Math.max(1, request.imageWaitSeconds - waitedSeconds),
  );
  return { found: false, retryAfterSeconds, waitedSeconds };
}
