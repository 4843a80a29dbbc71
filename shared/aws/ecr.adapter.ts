import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  paginateDescribeImages,
  PutImageCommand,
  RepositoryNotFoundException,
  type BatchGetImageResponse,
  type Image,
} from '@aws-sdk/client-ecr';
import { AwsTransientError, PipelineMisconfiguredError, ReleaseTagConflictError } from '../domain/errors';
import type { ImageRegistry, RegistryImage } from '../ports/images';
import { isAwsError, mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface EcrImageRegistryOptions {
  /** A ready client (tests) or a per-region factory; defaults to one `ECRClient` per region, shared per container. */
  clients?: ClientSource<ECRClient>;
}

/**
 * The manifest formats BatchGetImage may return when retagging: Docker Image Manifest V2 Schema 2 and its
 * manifest list, OCI image manifests and OCI image indexes (multi-architecture images). ECR returns the
 * manifest as stored when its type is accepted; listing the list/index types keeps a multi-architecture
 * image from being refused or served as one platform's manifest, which would have another digest. (The API
 * reference lists only schema 1, schema 2 and the OCI manifest as valid values; Docker schema 1 is left out on
 * purpose: the pipeline never releases images built with Docker 1.9 or older.)
 */
export const ACCEPTED_MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** DescribeImages' largest page; a repository of 3,000 images takes three calls. */
export const DESCRIBE_IMAGES_PAGE_SIZE = 1000;

/** BatchGetImage failure codes that are the registry's (or its upstream's) momentary trouble. */
const TRANSIENT_FAILURES = new Set(['UpstreamTooManyRequests', 'UpstreamUnavailable']);

interface TagRef {
  region: string;
  repository: string;
  tag: string;
}

interface DigestTagRef extends TagRef {
  digest: string;
}

/**
 * The image registry on Amazon ECR. A tag is added to an image the way `docker tag` + `docker push` would
 * do it, without pulling: BatchGetImage reads the manifest of the digest and PutImage stores the very same
 * manifest under the new tag (with `imageDigest`, so ECR refuses rather than store a converted manifest).
 *
 * Tags are never moved. In a repository with immutable tags ECR refuses a tag that names another image
 * (`ImageTagAlreadyExistsException`); in a mutable one PutImage would silently move it, so the tag is looked
 * up before the PutImage and a tag on another digest is refused with {@link ReleaseTagConflictError}. (Two
 * releases racing for one tag in a mutable repository can still both pass that check: make release
 * repositories tag-immutable.) A missing repository or image is a {@link PipelineMisconfiguredError};
 * throttling and AWS-side failures become `AwsTransientError`.
 */
export class EcrImageRegistry implements ImageRegistry {
  private readonly client: (region: string) => ECRClient;

  constructor(options: EcrImageRegistryOptions = {}) {
    this.client = clientsFrom(options.clients, ECRClient);
  }

  async listImages(repository: { region: string; repository: string }): Promise<RegistryImage[]> {
    const images: RegistryImage[] = [];
    const pages = paginateDescribeImages(
      { client: this.client(repository.region), pageSize: DESCRIBE_IMAGES_PAGE_SIZE },
      { repositoryName: repository.repository },
    );
    try {
      for await (const page of pages)
        for (const detail of page.imageDetails ?? []) {
          // An image still being pushed has no digest or push time yet: the next sweep sees it whole.
          if (!detail.imageDigest || !detail.imagePushedAt) continue;
          images.push({
            digest: detail.imageDigest,
            tags: detail.imageTags ?? [],
            pushedAt: detail.imagePushedAt.getTime(),
            registryId: detail.registryId ?? '',
          });
        }
    } catch (error) {
      throw mapRepositoryError(error, repository, `DescribeImages of ${repository.repository}`);
    }
    return images;
  }

  async digestOf(image: TagRef): Promise<string | undefined> {
    const { region, repository, tag } = image;
    try {
      const response = await this.client(region).send(
        new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
      );
      return response.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      if (isAwsError(error, ImageNotFoundException)) return undefined;
      throw mapRepositoryError(error, image, `DescribeImages of ${repository}:${tag}`);
    }
  }

  async addTag(image: DigestTagRef): Promise<void> {
    const { region, repository, digest, tag } = image;
    // 1. Look the tag up first: in a mutable repository PutImage would move a tag that names another image.
    const named = await this.digestOf(image);
    if (named === digest) return;
    if (named !== undefined) throw tagConflict(image, named);

    // 2. The manifest of the digest, exactly as stored.
    const manifest = await this.readManifest(image);

    // 3. The same manifest under the new tag.
    try {
      await this.client(region).send(
        new PutImageCommand({
          repositoryName: repository,
          imageManifest: manifest.imageManifest,
          imageManifestMediaType: manifest.imageManifestMediaType,
          imageTag: tag,
          imageDigest: digest,
        }),
      );
    } catch (error) {
      // The tag is on this digest already (someone else added it since step 1).
      if (isAwsError(error, ImageAlreadyExistsException)) return;
      // Immutable tags: the tag exists, on this image or another one.
      if (isAwsError(error, ImageTagAlreadyExistsException)) {
        const now = await this.digestOf(image);
        if (now === digest) return;
        if (now !== undefined) throw tagConflict(image, now);
      }
      throw mapRepositoryError(error, image, `PutImage of ${repository}:${tag} (${digest})`);
    }
  }

  private async readManifest(image: DigestTagRef): Promise<Image & { imageManifest: string }> {
    const { region, repository, digest } = image;
    let response: BatchGetImageResponse;
    try {
      response = await this.client(region).send(
        new BatchGetImageCommand({
          repositoryName: repository,
          imageIds: [{ imageDigest: digest }],
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
        }),
      );
    } catch (error) {
      throw mapRepositoryError(error, image, `BatchGetImage of ${repository}@${digest}`);
    }
    const found = response.images?.find((i) => i.imageManifest !== undefined && i.imageManifest !== '');
    if (found?.imageManifest !== undefined) return { ...found, imageManifest: found.imageManifest };

    const failure = response.failures?.[0];
    const code = failure?.failureCode;
    if (code === undefined || code === 'ImageNotFound')
      throw new PipelineMisconfiguredError(
        `image ${digest} does not exist in ECR repository ${repository} (${region}); ` +
          'release a version only after the build pushed its image, or check the repository in pipeline.config.yml',
      );
    const detail = `${code}${failure?.failureReason ? `: ${failure.failureReason}` : ''}`;
    if (TRANSIENT_FAILURES.has(code))
      throw new AwsTransientError(
        `ECR BatchGetImage of ${repository}@${digest} in ${region} failed (${detail}); safe to retry later`,
      );
    throw new Error(`ECR BatchGetImage of ${repository}@${digest} in ${region} failed (${detail})`);
  }
}

function tagConflict(image: DigestTagRef, named: string): ReleaseTagConflictError {
  return new ReleaseTagConflictError(
    `tag ${image.tag} already names ${named} in ${image.repository}; tags are immutable: cut a new version`,
  );
}

function mapRepositoryError(
  error: unknown,
  image: { region: string; repository: string },
  operation: string,
) {
  if (isAwsError(error, RepositoryNotFoundException))
    return new PipelineMisconfiguredError(
      `ECR repository ${image.repository} does not exist in ${image.region}; ` +
        'check the ecrRepository of this service and the regions in pipeline.config.yml',
    );
  return mapAwsError(error, `ECR ${operation} in ${image.region}`);
}
