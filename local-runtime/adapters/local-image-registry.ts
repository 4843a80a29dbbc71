import {
  AwsTransientError,
  PipelineMisconfiguredError,
  ReleaseTagConflictError,
} from '../../shared/domain/errors';
import type { ImageRegistry } from '../../shared/releases/image-registry';

/** One image push, as the local runtime sees it in an ECR push event. */
export interface LocalImagePush {
  region: string;
  repository: string;
  tag: string;
  digest: string;
}

/** A repository: its images (digest → tags). A tag is on at most one digest. */
type LocalRepository = Map<string, Set<string>>;

/** The registry as plain JSON, for `pipeline local --data-dir`. */
export type LocalImageRegistrySnapshot = {
  region: string;
  repository: string;
  images: { digest: string; tags: string[] }[];
}[];

/**
 * ECR on one machine: repositories per region, created by the first push to them, holding images by digest
 * with their tags. It has the semantics the releases rely on: a push moves its tag to the pushed image (as
 * `docker push` does), while {@link addTag} never moves one: a tag already on the digest is fine, a tag on
 * another digest is a {@link ReleaseTagConflictError}. A repository nobody pushed to, or a digest it does not
 * hold, is a {@link PipelineMisconfiguredError}, as with the ECR adapter.
 */
export class LocalImageRegistry implements ImageRegistry {
  private readonly repositories = new Map<string, LocalRepository>();
  private throttledCalls = 0;
  /** Every call made through the port, in order, for tests to assert on. */
  readonly calls: { method: string; args: unknown[] }[] = [];

  /** Records a push of `digest` tagged `tag`: what the local runtime calls for each ECR push event. */
  recordPush(push: LocalImagePush): void {
    const key = repositoryKey(push.region, push.repository);
    let repository = this.repositories.get(key);
    if (!repository) {
      repository = new Map();
      this.repositories.set(key, repository);
    }
    for (const tags of repository.values()) tags.delete(push.tag);
    let tags = repository.get(push.digest);
    if (!tags) {
      tags = new Set();
      repository.set(push.digest, tags);
    }
    tags.add(push.tag);
  }

  /** The tags on `digest`, sorted; empty when the repository or the image does not exist. */
  tagsOf(region: string, repository: string, digest: string): string[] {
    return [...(this.repositories.get(repositoryKey(region, repository))?.get(digest) ?? [])].sort();
  }

  /** Every repository with its images and their tags. */
  snapshot(): LocalImageRegistrySnapshot {
    return [...this.repositories].map(([repositoryKey, images]) => {
      const [region = '', ...name] = repositoryKey.split('/');
      return {
        region,
        repository: name.join('/'),
        images: [...images].map(([digest, tags]) => ({ digest, tags: [...tags] })),
      };
    });
  }

  /** Takes the repositories of a snapshot in place of this registry's. */
  restore(snapshot: LocalImageRegistrySnapshot): void {
    this.repositories.clear();
    for (const { region, repository, images } of snapshot)
      this.repositories.set(
        repositoryKey(region, repository),
        new Map(images.map(({ digest, tags }) => [digest, new Set(tags)])),
      );
  }

  /** The next `count` calls fail with a throttling error, as ECR does under load. */
  throttleNext(count: number): void {
    this.throttledCalls += count;
  }

  async digestOf(image: { region: string; repository: string; tag: string }): Promise<string | undefined> {
    this.enter('digestOf', image);
    return findTag(this.requireRepository(image.region, image.repository), image.tag);
  }

  async addTag(image: { region: string; repository: string; digest: string; tag: string }): Promise<void> {
    this.enter('addTag', image);
    const repository = this.requireRepository(image.region, image.repository);
    const named = findTag(repository, image.tag);
    if (named === image.digest) return;
    if (named !== undefined)
      throw new ReleaseTagConflictError(
        `tag ${image.tag} already names ${named} in ${image.repository}; tags are immutable: cut a new version`,
      );
    const tags = repository.get(image.digest);
    if (!tags)
      throw new PipelineMisconfiguredError(
        `image ${image.digest} does not exist in repository ${image.repository} (${image.region})`,
      );
    tags.add(image.tag);
  }

  private requireRepository(region: string, name: string): LocalRepository {
    const repository = this.repositories.get(repositoryKey(region, name));
    if (!repository)
      throw new PipelineMisconfiguredError(`ECR repository ${name} does not exist in ${region}`);
    return repository;
  }

  private enter(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args: structuredClone(args) });
    if (this.throttledCalls > 0) {
      this.throttledCalls--;
      throw new AwsTransientError(`ECR ${method}: Rate exceeded (ThrottlingException)`);
    }
  }
}

function findTag(repository: LocalRepository, tag: string): string | undefined {
  for (const [digest, tags] of repository) if (tags.has(tag)) return digest;
  return undefined;
}

function repositoryKey(region: string, repository: string): string {
  return `${region}/${repository}`;
}
