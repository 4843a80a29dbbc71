import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  ECRServiceException,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  PutImageCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ACCEPTED_MANIFEST_MEDIA_TYPES,
  DESCRIBE_IMAGES_PAGE_SIZE,
  EcrImageRegistry,
} from '../../../shared/aws/ecr.adapter';
import {
  AwsTransientError,
  PipelineMisconfiguredError,
  ReleaseTagConflictError,
} from '../../../shared/domain/errors';
import { sdkError, unmodelledSdkError } from '../../helpers/sdk-errors';

const REGION = 'eu-west-1';
const REPOSITORY = 'orders-api';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;
const MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE, manifests: [] });
const RELEASE = { region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' };

function throttling(): ECRServiceException {
  return unmodelledSdkError(ECRServiceException, 'ThrottlingException', {
    requestId: 'req-1',
    message: 'Rate exceeded',
  });
}

const imageNotFound = () =>
  sdkError(ImageNotFoundException, {
    requestId: 'req-1',
    message: "The image with imageId {imageTag:'v1.4.0'} does not exist",
  });
const repositoryNotFound = () =>
  sdkError(RepositoryNotFoundException, { requestId: 'req-1', message: 'The repository does not exist' });

describe('EcrImageRegistry', () => {
  const ecr = mockClient(ECRClient);
  const registry = new EcrImageRegistry({ clients: () => new ECRClient({ region: REGION }) });

  beforeEach(() => ecr.reset());

  describe('listImages', () => {
    it('when the repository spans several pages, it follows nextToken and returns every image with its push time', async () => {
      // Prepare
      const pushedAt = new Date('2026-11-20T09:15:02Z');
      ecr
        .on(DescribeImagesCommand, { repositoryName: REPOSITORY, maxResults: DESCRIBE_IMAGES_PAGE_SIZE })
        .resolvesOnce({
          imageDetails: [
            {
              registryId: '123456789012',
              imageDigest: DIGEST,
              imageTags: ['sha-0a1b2c3d'],
              imagePushedAt: pushedAt,
            },
          ],
          nextToken: 'page-2',
        })
        .resolvesOnce({
          imageDetails: [
            {
              registryId: '123456789012',
              imageDigest: OTHER_DIGEST,
              imagePushedAt: new Date(pushedAt.getTime() + 1000),
            },
            { registryId: '123456789012', imageTags: ['being-pushed'] },
          ],
        });

      // Act
      const images = await registry.listImages({ region: REGION, repository: REPOSITORY });

      // Assess
      expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
      expect(ecr).toHaveReceivedNthCommandWith(2, DescribeImagesCommand, {
        repositoryName: REPOSITORY,
        maxResults: DESCRIBE_IMAGES_PAGE_SIZE,
        nextToken: 'page-2',
      });
      expect(images).toEqual([
        { digest: DIGEST, tags: ['sha-0a1b2c3d'], pushedAt: pushedAt.getTime(), registryId: '123456789012' },
        { digest: OTHER_DIGEST, tags: [], pushedAt: pushedAt.getTime() + 1000, registryId: '123456789012' },
      ]);
    });

    it('when the repository does not exist, it is a misconfiguration naming the repository', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(repositoryNotFound());

      // Act
      const result = registry.listImages({ region: REGION, repository: REPOSITORY });

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow('ECR repository orders-api does not exist in eu-west-1');
    });

    it('when ECR throttles, it is transient', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(throttling());

      // Act / Assess
      await expect(registry.listImages({ region: REGION, repository: REPOSITORY })).rejects.toThrow(
        AwsTransientError,
      );
    });
  });

  describe('digestOf', () => {
    it('when an image has the tag, it describes that tag in that repository and returns its digest', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).resolves({
        imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGEST, imageTags: ['sha-0a1b2c3d'] }],
      });

      // Act
      const digest = await registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'sha-0a1b2c3d' });

      // Assess
      expect(ecr).toReceiveCommandWith(DescribeImagesCommand, {
        repositoryName: REPOSITORY,
        imageIds: [{ imageTag: 'sha-0a1b2c3d' }],
      });
      expect(digest).toBe(DIGEST);
    });

    it('when no image has the tag, it returns undefined', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(imageNotFound());

      // Act
      const digest = await registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'sha-0a1b2c3d' });

      // Assess
      expect(digest).toBeUndefined();
    });

    it('when the repository does not exist, it throws PipelineMisconfigured naming the repository and the region', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(repositoryNotFound());

      // Act
      const result = registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'sha-0a1b2c3d' });

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(/repository orders-api does not exist in eu-west-1/);
    });

    it('when ECR throttles, it throws AwsTransientError', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(throttling());

      // Act
      const result = registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'sha-0a1b2c3d' });

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(
        /DescribeImages of orders-api:sha-0a1b2c3d in eu-west-1 throttled/,
      );
    });

    it('when given a client factory, it asks the factory for the client of the image region', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
      const regions: string[] = [];
      const perRegion = new EcrImageRegistry({
        clients: (region) => {
          regions.push(region);
          return new ECRClient({ region });
        },
      });

      // Act
      await perRegion.digestOf({ region: 'us-east-1', repository: REPOSITORY, tag: 'v1' });
      await perRegion.digestOf({ region: 'us-east-1', repository: REPOSITORY, tag: 'v2' });
      await perRegion.digestOf({ region: REGION, repository: REPOSITORY, tag: 'v1' });

      // Assess
      expect(regions).toEqual(['us-east-1', REGION]);
    });
  });

  describe('addTag', () => {
    /** The tag is not in the repository yet and the digest's manifest is there. */
    function newTag(): void {
      ecr.on(DescribeImagesCommand).rejects(imageNotFound());
      ecr.on(BatchGetImageCommand).resolves({
        images: [
          {
            repositoryName: REPOSITORY,
            imageId: { imageDigest: DIGEST },
            imageManifest: MANIFEST,
            imageManifestMediaType: MEDIA_TYPE,
          },
        ],
        failures: [],
      });
    }

    it('when the tag is new, it puts the manifest of the digest under the tag, pinned to the digest', async () => {
      // Prepare
      newTag();
      ecr.on(PutImageCommand).resolves({ image: { imageId: { imageDigest: DIGEST, imageTag: 'v1.4.0' } } });

      // Act
      await registry.addTag(RELEASE);

      // Assess
      expect(ecr).toReceiveCommandWith(DescribeImagesCommand, {
        repositoryName: REPOSITORY,
        imageIds: [{ imageTag: 'v1.4.0' }],
      });
      expect(ecr).toReceiveCommandWith(BatchGetImageCommand, {
        repositoryName: REPOSITORY,
        imageIds: [{ imageDigest: DIGEST }],
        acceptedMediaTypes: [
          'application/vnd.docker.distribution.manifest.v2+json',
          'application/vnd.docker.distribution.manifest.list.v2+json',
          'application/vnd.oci.image.manifest.v1+json',
          'application/vnd.oci.image.index.v1+json',
        ],
      });
      expect(ecr).toReceiveCommandTimes(PutImageCommand, 1);
      expect(ecr).toReceiveCommandWith(PutImageCommand, {
        repositoryName: REPOSITORY,
        imageManifest: MANIFEST,
        imageManifestMediaType: MEDIA_TYPE,
        imageTag: 'v1.4.0',
        imageDigest: DIGEST,
      });
      expect(ACCEPTED_MANIFEST_MEDIA_TYPES).toHaveLength(4);
    });

    it('when the tag already names the digest, it succeeds without reading or putting anything', async () => {
      // Prepare
      ecr
        .on(DescribeImagesCommand)
        .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.4.0'] }] });

      // Act
      await registry.addTag(RELEASE);

      // Assess
      expect(ecr).not.toReceiveCommand(BatchGetImageCommand);
      expect(ecr).not.toReceiveCommand(PutImageCommand);
    });

    it('when the tag names another digest (mutable repository), it refuses before PutImage could move the tag', async () => {
      // Prepare
      ecr
        .on(DescribeImagesCommand)
        .resolves({ imageDetails: [{ imageDigest: OTHER_DIGEST, imageTags: ['v1.4.0'] }] });

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(ReleaseTagConflictError);
      await expect(result).rejects.toThrow(
        `tag v1.4.0 already names ${OTHER_DIGEST} in orders-api; tags are immutable: cut a new version`,
      );
      expect(ecr).not.toReceiveCommand(PutImageCommand);
    });

    it('when PutImage says ImageAlreadyExists (tagged meanwhile on this digest), it succeeds', async () => {
      // Prepare
      newTag();
      ecr
        .on(PutImageCommand)
        .rejects(
          sdkError(ImageAlreadyExistsException, { requestId: 'req-1', message: 'Image already exists' }),
        );

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    it('when the immutable repository refuses the tag and it names this digest, it succeeds', async () => {
      // Prepare
      newTag();
      ecr
        .on(DescribeImagesCommand)
        .rejectsOnce(imageNotFound())
        .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.4.0'] }] });
      ecr
        .on(PutImageCommand)
        .rejects(
          sdkError(ImageTagAlreadyExistsException, { requestId: 'req-1', message: 'Tag is immutable' }),
        );

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).resolves.toBeUndefined();
      expect(ecr).toReceiveCommandTimes(DescribeImagesCommand, 2);
    });

    it('when the immutable repository refuses the tag and it names another digest, it throws ReleaseTagConflict', async () => {
      // Prepare
      newTag();
      ecr
        .on(DescribeImagesCommand)
        .rejectsOnce(imageNotFound())
        .resolves({ imageDetails: [{ imageDigest: OTHER_DIGEST, imageTags: ['v1.4.0'] }] });
      ecr
        .on(PutImageCommand)
        .rejects(
          sdkError(ImageTagAlreadyExistsException, { requestId: 'req-1', message: 'Tag is immutable' }),
        );

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(ReleaseTagConflictError);
      await expect(result).rejects.toThrow(
        `tag v1.4.0 already names ${OTHER_DIGEST} in orders-api; tags are immutable: cut a new version`,
      );
    });

    it('when the repository holds no image with the digest, it throws PipelineMisconfigured and puts nothing', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(imageNotFound());
      ecr.on(BatchGetImageCommand).resolves({
        images: [],
        failures: [
          {
            imageId: { imageDigest: DIGEST },
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          },
        ],
      });

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(
        `image ${DIGEST} does not exist in ECR repository orders-api (eu-west-1)`,
      );
      expect(ecr).not.toReceiveCommand(PutImageCommand);
    });

    it('when the repository does not exist, it throws PipelineMisconfigured naming the repository and the region', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(repositoryNotFound());

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(PipelineMisconfiguredError);
      await expect(result).rejects.toThrow(/repository orders-api does not exist in eu-west-1/);
    });

    it('when the upstream registry is unavailable to BatchGetImage, it throws AwsTransientError', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).rejects(imageNotFound());
      ecr.on(BatchGetImageCommand).resolves({
        failures: [
          {
            imageId: { imageDigest: DIGEST },
            failureCode: 'UpstreamUnavailable',
            failureReason: 'try later',
          },
        ],
      });

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });

    it('when PutImage is throttled, it throws AwsTransientError', async () => {
      // Prepare
      newTag();
      ecr.on(PutImageCommand).rejects(throttling());

      // Act
      const result = registry.addTag(RELEASE);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(/PutImage of orders-api:v1.4.0 .* in eu-west-1 throttled/);
    });
  });
});
