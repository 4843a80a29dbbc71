import { LocalPipeline } from '../../local-runtime/local-pipeline';
import type { StartDecision } from '../../shared/use-cases/start-promotion';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * A malformed ECR push event reaches the local stack (`POST /events`): start-promotion ignores it, and the
 * local ECR must not keep an image ECR could never have (every ECR image has a sha256 digest), or a later
 * release of that commit finds it and fails halfway, at the deployment lock, with InvalidStepInput.
 */
let pipeline: LocalPipeline;

beforeEach(async () => {
  pipeline = await LocalPipeline.start({ config: sampleConfig() });
});

afterEach(async () => {
  await pipeline.close({ abandon: true });
});

describe('a malformed ECR push event in the local stack', () => {
  it.each([
    ['a digest that is not sha256:<64 hex>', 'nope'],
    ['an upper-case digest', `sha256:${'3F7A'.repeat(16)}`],
  ])('when it has %s, it is ignored and the local ECR keeps no image', async (_what, digest) => {
    // Prepare
    const event = loadEvent('ecr-push-orders-api.json') as { detail: Record<string, unknown> };
    const malformed = { ...event, detail: { ...event.detail, 'image-digest': digest } };

    // Act
    const routed = await pipeline.putEvent(malformed);
    await pipeline.settled();

    // Assess
    const decision = routed.deliveries[0]?.result as StartDecision | undefined;
    expect(decision).toMatchObject({ started: false });
    expect(await pipeline.registry.listImages({ region: 'eu-west-1', repository: 'orders-api' })).toEqual([]);
  });

  it('when the digest is well formed, the local ECR keeps the image (the push happened)', async () => {
    // Act
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await pipeline.settled();

    // Assess
    const images = await pipeline.registry.listImages({ region: 'eu-west-1', repository: 'orders-api' });
    expect(images.map((image) => image.digest)).toEqual([`sha256:${'3f7a9c'.repeat(10)}3f7a`]);
  });
});
