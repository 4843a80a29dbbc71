import { LocalImageRegistry } from '../../local-runtime/adapters/local-image-registry';
import {
  AwsTransientError,
  PipelineMisconfiguredError,
  ReleaseTagConflictError,
} from '../../shared/domain/errors';

const REGION = 'eu-west-1';
const REPOSITORY = 'orders-api';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

/** A registry holding two images of orders-api in eu-west-1, pushed as sha-aaaaaaa and sha-bbbbbbb. */
function registryWithTwoImages(): LocalImageRegistry {
  const registry = new LocalImageRegistry();
  registry.recordPush({
    region: REGION,
    repository: REPOSITORY,
    tag: 'sha-aaaaaaa',
    digest: DIGEST,
    pushedAt: 1,
  });
  registry.recordPush({
    region: REGION,
    repository: REPOSITORY,
    tag: 'sha-bbbbbbb',
    digest: OTHER_DIGEST,
    pushedAt: 2,
  });
  return registry;
}

describe('LocalImageRegistry', () => {
  it('when an image was pushed, it finds its digest by tag and nothing for an unknown tag', async () => {
    // Prepare
    const registry = registryWithTwoImages();

    // Act
    const found = await registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'sha-aaaaaaa' });
    const missing = await registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'v9.9.9' });

    // Assess
    expect(found).toBe(DIGEST);
    expect(missing).toBeUndefined();
  });

  it('when a tag is added, it puts it on the same digest beside the build tag', async () => {
    // Prepare
    const registry = registryWithTwoImages();

    // Act
    await registry.addTag({ region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' });

    // Assess
    expect(registry.tagsOf(REGION, REPOSITORY, DIGEST)).toEqual(['sha-aaaaaaa', 'v1.4.0']);
    await expect(registry.digestOf({ region: REGION, repository: REPOSITORY, tag: 'v1.4.0' })).resolves.toBe(
      DIGEST,
    );
  });

  it('when the tag is already on the digest, it succeeds again without change', async () => {
    // Prepare
    const registry = registryWithTwoImages();
    await registry.addTag({ region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' });

    // Act
    const result = registry.addTag({ region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' });

    // Assess
    await expect(result).resolves.toBeUndefined();
    expect(registry.tagsOf(REGION, REPOSITORY, DIGEST)).toEqual(['sha-aaaaaaa', 'v1.4.0']);
  });

  it('when the tag names another digest, it throws ReleaseTagConflict and moves nothing', async () => {
    // Prepare
    const registry = registryWithTwoImages();
    await registry.addTag({ region: REGION, repository: REPOSITORY, digest: OTHER_DIGEST, tag: 'v1.4.0' });

    // Act
    const result = registry.addTag({ region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' });

    // Assess
    await expect(result).rejects.toThrow(ReleaseTagConflictError);
    await expect(result).rejects.toThrow(
      `tag v1.4.0 already names ${OTHER_DIGEST} in orders-api; tags are immutable: cut a new version`,
    );
    expect(registry.tagsOf(REGION, REPOSITORY, DIGEST)).toEqual(['sha-aaaaaaa']);
    expect(registry.tagsOf(REGION, REPOSITORY, OTHER_DIGEST)).toEqual(['sha-bbbbbbb', 'v1.4.0']);
  });

  it('when the repository has no image with the digest, it throws PipelineMisconfigured', async () => {
    // Prepare
    const registry = registryWithTwoImages();
    const unknown = `sha256:${'c'.repeat(64)}`;

    // Act
    const result = registry.addTag({
      region: REGION,
      repository: REPOSITORY,
      digest: unknown,
      tag: 'v1.4.0',
    });

    // Assess
    await expect(result).rejects.toThrow(PipelineMisconfiguredError);
    expect(registry.tagsOf(REGION, REPOSITORY, unknown)).toEqual([]);
  });

  it('when the repository was only pushed to in another region, it throws PipelineMisconfigured naming it', async () => {
    // Prepare
    const registry = registryWithTwoImages();

    // Act
    const lookup = registry.digestOf({ region: 'us-east-1', repository: REPOSITORY, tag: 'sha-aaaaaaa' });
    const tagging = registry.addTag({
      region: 'us-east-1',
      repository: REPOSITORY,
      digest: DIGEST,
      tag: 'v1',
    });

    // Assess
    await expect(lookup).rejects.toThrow(PipelineMisconfiguredError);
    await expect(lookup).rejects.toThrow('ECR repository orders-api does not exist in us-east-1');
    await expect(tagging).rejects.toThrow(PipelineMisconfiguredError);
  });

  it('when a push reuses a tag, it moves the tag to the pushed image, as docker push does', async () => {
    // Prepare
    const registry = registryWithTwoImages();

    // Act
    registry.recordPush({
      region: REGION,
      repository: REPOSITORY,
      tag: 'sha-aaaaaaa',
      digest: OTHER_DIGEST,
      pushedAt: 3,
    });

    // Assess
    expect(registry.tagsOf(REGION, REPOSITORY, DIGEST)).toEqual([]);
    expect(registry.tagsOf(REGION, REPOSITORY, OTHER_DIGEST)).toEqual(['sha-aaaaaaa', 'sha-bbbbbbb']);
  });

  it('when calls are throttled, it throws AwsTransientError and logs every call made through the port', async () => {
    // Prepare
    const registry = registryWithTwoImages();
    registry.throttleNext(1);
    const image = { region: REGION, repository: REPOSITORY, digest: DIGEST, tag: 'v1.4.0' };

    // Act
    const throttled = registry.addTag(image);
    await expect(throttled).rejects.toThrow(AwsTransientError);
    await registry.addTag(image);

    // Assess
    expect(registry.calls).toEqual([
      { method: 'addTag', args: [image] },
      { method: 'addTag', args: [image] },
    ]);
    expect(registry.tagsOf(REGION, REPOSITORY, DIGEST)).toEqual(['sha-aaaaaaa', 'v1.4.0']);
  });
});
