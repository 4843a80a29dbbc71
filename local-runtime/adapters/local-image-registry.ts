import {
  AwsTransientError,
  PipelineMisconfiguredError,
  ReleaseTagConflictError,
} from '../../shared/domain/errors';
import type { ImageRegistry, RegistryImage } from '../../shared/ports/images';

/** One image push, as the local runtime sees it in an ECR push event. */
export interface LocalImagePush {
  region: string;
  repository: string;
  tag: string;
  digest: string;
  /**
   * When ECR stored the image (epoch ms, on the stack's clock: no default, so wall time cannot slip in).
   * A digest pushed again keeps its first time.
   */
  pushedAt: number;
  /** The account owning the repository; default the local account. */
  registryId?: string;
}

interface LocalImage {
  tags: Set<string>;
  pushedAt: number;
  registryId: string;
}

/** The account of the local runtime (LOCAL_ACCOUNT), the owner of a repository no push named. */
const LOCAL_REGISTRY_ID = '000000000000';

/** A repository: its images by digest. A tag is on at most one digest. */
type LocalRepository = Map<string, LocalImage>;

/** The registry as plain JSON, for `pipeline local --data-dir`. */
export type LocalImageRegistrySnapshot = {
  region: string;
  repository: string;
  /** `pushedAt` and `registryId` are absent from states saved before the reconciliation sweep. */
  images: { digest: string; tags: string[]; pushedAt?: number; registryId?: string }[];
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

  /** Creates an empty repository (a no-op when it exists): what `aws ecr create-repository` does. */
  createRepository(region: string, repository: string): void {
    const key = repositoryKey(region, repository);
    if (!this.repositories.has(key)) this.repositories.set(key, new Map());
  }

  /** Records a push of `digest` tagged `tag`: what the local runtime calls for each ECR push event. */
  recordPush(push: LocalImagePush): void {
    this.createRepository(push.region, push.repository);
    const repository = this.repositories.get(repositoryKey(push.region, push.repository))!;
    for (const image of repository.values()) image.tags.delete(push.tag);
    let image = repository.get(push.digest);
    if (!image) {
      image = {
        tags: new Set(),
        pushedAt: push.pushedAt,
        registryId: push.registryId ?? LOCAL_REGISTRY_ID,
      };
      repository.set(push.digest, image);
    }
    image.tags.add(push.tag);
  }

  /** The tags on `digest`, sorted; empty when the repository or the image does not exist. */
  tagsOf(region: string, repository: string, digest: string): string[] {
    return [...(this.repositories.get(repositoryKey(region, repository))?.get(digest)?.tags ?? [])].sort();
  }

  async listImages(repository: { region: string; repository: string }): Promise<RegistryImage[]> {
    this.enter('listImages', repository);
    return [...this.requireRepository(repository.region, repository.repository)].map(([digest, image]) => ({
      digest,
      tags: [...image.tags].sort(),
      pushedAt: image.pushedAt,
      registryId: image.registryId,
    }));
  }

  /** Every repository with its images and their tags. */
  snapshot(): LocalImageRegistrySnapshot {
    return [...this.repositories].map(([repositoryKey, images]) => {
      const [region = '', ...name] = repositoryKey.split('/');
      return {
        region,
        repository: name.join('/'),
        images: [...images].map(([digest, image]) => ({
          digest,
          tags: [...image.tags],
          pushedAt: image.pushedAt,
          registryId: image.registryId,
        })),
      };
    });
  }

  /** Takes the repositories of a snapshot in place of this registry's. */
  restore(snapshot: LocalImageRegistrySnapshot): void {
    this.repositories.clear();
    for (const { region, repository, images } of snapshot)
      this.repositories.set(
        repositoryKey(region, repository),
        new Map(
          images.map(({ digest, tags, pushedAt, registryId }) => [
            digest,
            { tags: new Set(tags), pushedAt: pushedAt ?? 0, registryId: registryId ?? LOCAL_REGISTRY_ID },
          ]),
        ),
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
    const stored = repository.get(image.digest);
    if (!stored)
      throw new PipelineMisconfiguredError(
        `image ${image.digest} does not exist in repository ${image.repository} (${image.region})`,
      );
    stored.tags.add(image.tag);
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
  for (const [digest, image] of repository) if (image.tags.has(tag)) return digest;
  return undefined;
}

function repositoryKey(region: string, repository: string): string {
  return `${region}/${repository}`;
}
