import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { EcrImageRegistry } from '../../shared/aws/ecr.adapter';
import { PipelineMisconfiguredError, ReleaseTagConflictError } from '../../shared/domain/errors';
import { MOTO_ACCOUNT, startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The ECR adapter against moto: finding the image a `sha-<commit>` tag names, and retagging it by manifest
 * (BatchGetImage, then PutImage of the very same manifest with its digest) without pulling. What moto does
 * differently from ECR is listed in docs/aws-conformance.md.
 */
const REGION = 'eu-west-1';
const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let moto: MotoServer;
let ecr: ECRClient;
let registry: EcrImageRegistry;
beforeAll(async () => {
  moto = await startMotoServer();
  // Builds and reads back what the tests need; only the adapter's own client counts as checked.
  ecr = new ECRClient(moto.clientConfig(REGION));
  registry = new EcrImageRegistry({
    clients: moto.adapterClient('ecr.adapter', ECRClient, REGION),
  });
}, 90_000);
afterAll(() => moto?.stop());

/** A single-platform image manifest as `docker push` stores it; `seed` makes each image distinct. */
function dockerManifest(seed: string): string {
  const digest = (what: string) => `sha256:${createHash('sha256').update(`${seed}/${what}`).digest('hex')}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 1469,
      digest: digest('config'),
    },
    layers: [
      {
        mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: 3370706,
        digest: digest('layer'),
      },
    ],
  });
}

/** A multi-architecture image: an OCI index of two platform manifests. */
function ociIndex(seed: string): string {
  const digest = (what: string) => `sha256:${createHash('sha256').update(`${seed}/${what}`).digest('hex')}`;
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: ['amd64', 'arm64'].map((architecture) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 1024,
      digest: digest(architecture),
      platform: { architecture, os: 'linux' },
    })),
  });
}

async function repository(name: string, mutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE'): Promise<string> {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: mutability }));
  return name;
}

/** Pushes a manifest under a tag, the way the build does; returns the digest ECR gave it. */
async function pushed(repositoryName: string, tag: string, manifest: string, mediaType = DOCKER_MANIFEST) {
  const { image } = await ecr.send(
    new PutImageCommand({
      repositoryName,
      imageTag: tag,
      imageManifest: manifest,
      imageManifestMediaType: mediaType,
    }),
  );
  return image!.imageId!.imageDigest!;
}

async function tagsOf(repositoryName: string, digest: string): Promise<string[]> {
  const { imageDetails } = await ecr.send(
    new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }),
  );
  return [...(imageDetails?.[0]?.imageTags ?? [])].sort();
}

describe('ECR adapter against moto', () => {
  describe('digestOf', () => {
    it('when the build pushed sha-<commit>, it finds the digest the tag names', async () => {
      // Prepare
      const repo = await repository('find-api');
      const digest = await pushed(repo, `sha-${COMMIT}`, dockerManifest('find'));

      // Act
      const found = await registry.digestOf({ region: REGION, repository: repo, tag: `sha-${COMMIT}` });

      // Assess
      expect(found).toBe(digest);
      expect(found).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('when no image has the tag, the ImageNotFoundException ECR answers becomes undefined', async () => {
      // Prepare
      const repo = await repository('find-none-api');
      await pushed(repo, 'sha-0000000000000000000000000000000000000000', dockerManifest('other'));

      // Act
      const found = await registry.digestOf({ region: REGION, repository: repo, tag: `sha-${COMMIT}` });

      // Assess
      expect(found).toBeUndefined();
    });

    it('when the repository does not exist, RepositoryNotFoundException becomes PipelineMisconfigured', async () => {
      // Act
      const found = registry.digestOf({ region: REGION, repository: 'never-created', tag: `sha-${COMMIT}` });

      // Assess
      await expect(found).rejects.toThrow(PipelineMisconfiguredError);
      await expect(found).rejects.toThrow('ECR repository never-created does not exist in eu-west-1');
    });
  });

  describe('addTag', () => {
    it('when it retags by manifest, the same image (same digest, same manifest) carries both tags', async () => {
      // Prepare
      const repo = await repository('retag-api');
      const manifest = dockerManifest('retag');
      const digest = await pushed(repo, `sha-${COMMIT}`, manifest);

      // Act
      await registry.addTag({ region: REGION, repository: repo, digest, tag: 'v1.4.0' });

      // Assess
      expect(await tagsOf(repo, digest)).toEqual([`sha-${COMMIT}`, 'v1.4.0']);
      const { images } = await ecr.send(
        new BatchGetImageCommand({ repositoryName: repo, imageIds: [{ imageTag: 'v1.4.0' }] }),
      );
      expect(images?.[0]?.imageId?.imageDigest).toBe(digest);
      expect(images?.[0]?.imageManifest).toBe(manifest);
      const { imageDetails } = await ecr.send(new DescribeImagesCommand({ repositoryName: repo }));
      expect(imageDetails).toHaveLength(1);
    });

    it('when the image is a multi-architecture OCI index, the index itself is retagged, media type and digest kept', async () => {
      // Prepare
      const repo = await repository('multi-arch-api');
      const index = ociIndex('multi-arch');
      const digest = await pushed(repo, `sha-${COMMIT}`, index, OCI_INDEX);

      // Act
      await registry.addTag({ region: REGION, repository: repo, digest, tag: 'v2.0.0' });

      // Assess
      const { images } = await ecr.send(
        new BatchGetImageCommand({
          repositoryName: repo,
          imageIds: [{ imageTag: 'v2.0.0' }],
          acceptedMediaTypes: [OCI_INDEX],
        }),
      );
      expect(images?.[0]).toMatchObject({ imageManifest: index, imageManifestMediaType: OCI_INDEX });
      expect(images?.[0]?.imageId?.imageDigest).toBe(digest);
    });

    it('when the tag already names this image, it changes nothing', async () => {
      // Prepare
      const repo = await repository('retag-again-api');
      const digest = await pushed(repo, `sha-${COMMIT}`, dockerManifest('again'));
      await registry.addTag({ region: REGION, repository: repo, digest, tag: 'v1.0.0' });

      // Act
      await registry.addTag({ region: REGION, repository: repo, digest, tag: 'v1.0.0' });

      // Assess
      expect(await tagsOf(repo, digest)).toEqual([`sha-${COMMIT}`, 'v1.0.0']);
    });

    it('when the tag names another image in a mutable repository, it refuses with ReleaseTagConflict and moves nothing', async () => {
      // Prepare
      const repo = await repository('conflict-api');
      const digest = await pushed(repo, `sha-${COMMIT}`, dockerManifest('new'));
      const older = await pushed(repo, 'v1.0.0', dockerManifest('old'));

      // Act
      const tagged = registry.addTag({ region: REGION, repository: repo, digest, tag: 'v1.0.0' });

      // Assess
      await expect(tagged).rejects.toThrow(ReleaseTagConflictError);
      await expect(tagged).rejects.toThrow(`tag v1.0.0 already names ${older} in conflict-api`);
      expect(await tagsOf(repo, older)).toEqual(['v1.0.0']);
      expect(await tagsOf(repo, digest)).toEqual([`sha-${COMMIT}`]);
    });

    it('when the repository has immutable tags, a new tag is still added to the image', async () => {
      // Prepare
      const repo = await repository('immutable-api', 'IMMUTABLE');
      const digest = await pushed(repo, `sha-${COMMIT}`, dockerManifest('immutable'));

      // Act
      await registry.addTag({ region: REGION, repository: repo, digest, tag: 'v3.0.0' });

      // Assess
      expect(await tagsOf(repo, digest)).toEqual([`sha-${COMMIT}`, 'v3.0.0']);
    });

    it('when the digest is not in the repository, the ImageNotFound failure of BatchGetImage becomes PipelineMisconfigured', async () => {
      // Prepare
      const repo = await repository('missing-digest-api');
      await pushed(repo, `sha-${COMMIT}`, dockerManifest('present'));
      const absent = `sha256:${'0'.repeat(64)}`;

      // Act
      const tagged = registry.addTag({ region: REGION, repository: repo, digest: absent, tag: 'v1.0.0' });

      // Assess
      await expect(tagged).rejects.toThrow(PipelineMisconfiguredError);
      await expect(tagged).rejects.toThrow(
        `image ${absent} does not exist in ECR repository missing-digest-api`,
      );
    });
  });

  describe('listImages', () => {
    it('when the repository holds images, it lists each digest with its tags, push time and registry', async () => {
      // Prepare
      const repo = await repository('list-api');
      const first = await pushed(repo, `sha-${COMMIT}`, dockerManifest('first'));
      const second = await pushed(
        repo,
        'sha-1111111111111111111111111111111111111111',
        dockerManifest('second'),
      );

      // Act
      const images = await registry.listImages({ region: REGION, repository: repo });

      // Assess
      expect(images.map((i) => i.digest).sort()).toEqual([first, second].sort());
      expect(images.find((i) => i.digest === first)).toEqual({
        digest: first,
        tags: [`sha-${COMMIT}`],
        pushedAt: expect.any(Number) as number,
        registryId: MOTO_ACCOUNT,
      });
    });
  });
});
