import { ecrImageActionSchema, type EcrImageAction } from '../../../shared/events/ecr-image-action.schema';
import { planStages } from '../../../shared/domain/stage';
import { startPromotion, type StartPromotionDeps } from '../../../shared/use-cases/start-promotion';
import { RecordingExecutionControl } from '../../support/fakes';
import { loadEvent, sampleConfig } from '../../support/fixtures';

const PROMOTE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote';

function push(file: string, detail: Record<string, unknown> = {}): EcrImageAction {
  const event = loadEvent(file);
  return ecrImageActionSchema.parse({ ...event, detail: { ...event.detail, ...detail } });
}

function withoutDetail(file: string, field: string): EcrImageAction {
  const event = loadEvent(file);
  delete event.detail[field];
  return ecrImageActionSchema.parse(event);
}

describe('startPromotion', () => {
  let executions: RecordingExecutionControl;
  let deps: StartPromotionDeps;

  beforeEach(() => {
    executions = new RecordingExecutionControl();
    deps = { config: sampleConfig(), executions, promoteStateMachineArn: PROMOTE };
  });

  it('when a sha-<commit> image is pushed, it starts one execution with a deterministic name, the pinned image and the PPE stage', async () => {
    // Prepare
    const event = push('ecr-push-orders-api.json');

    // Act
    const decision = await startPromotion(event, deps);

    // Assess
    const name = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
    expect(decision).toMatchObject({
      started: true,
      name,
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:promote:' + name,
    });
    expect(executions.started).toEqual([
      {
        stateMachineArn: PROMOTE,
        name,
        input: {
          service: 'orders-api',
          version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
          commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
          image: {
            registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
            repository: 'orders-api',
            digest: 'sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a',
          },
          trigger: {
            kind: 'push',
            eventId: '5e1c0e6b-2f0a-4c5e-9d7a-1b0c3d4e5f60',
            at: '2026-11-20T09:15:02Z',
          },
          stages: planStages(deps.config, 'orders-api', 'push'),
        },
      },
    ]);
    expect(executions.started[0]?.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('when the same push is delivered twice, it starts once and reports the second as a duplicate', async () => {
    // Prepare
    const event = push('ecr-push-orders-api.json');
    const first = await startPromotion(event, deps);

    // Act
    const second = await startPromotion(push('ecr-push-orders-api.json'), deps);

    // Assess
    expect(first.started).toBe(true);
    expect(second).toEqual({
      started: false,
      reason: 'duplicate delivery: execution push-orders-api-4b825dc642cb-3f7a9c3f7a9c already exists',
      executionArn: first.started ? first.executionArn : undefined,
    });
    expect(executions.started).toHaveLength(1);
  });

  it('when another service is pushed, it starts a separate execution under its own name', async () => {
    // Prepare
    await startPromotion(push('ecr-push-orders-api.json'), deps);

    // Act
    const decision = await startPromotion(push('ecr-push-payments-api.json'), deps);

    // Assess
    expect(decision).toMatchObject({ started: true, name: 'push-payments-api-9fceb02d0ae5-8b21d48b21d4' });
    expect(executions.started.map((s) => s.name)).toHaveLength(2);
  });

  it.each([
    ['a delete', () => push('ecr-delete.json'), 'action DELETE is not a push'],
    [
      'a failed push',
      () => push('ecr-push-failed.json'),
      'push of orders-api:sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904 did not succeed',
    ],
    [
      'a push to an unknown repository',
      () => push('ecr-push-unknown-repository.json'),
      'repository "billing-worker" belongs to no configured service',
    ],
    [
      'an untagged push',
      () => push('ecr-push-untagged.json'),
      'push to orders-api has no tag (untagged pushes are not deployed)',
    ],
    [
      'a push tagged latest',
      () => push('ecr-push-latest-tag.json'),
      'tag "latest" is not sha-<commit>; only commit builds deploy',
    ],
    [
      'a push tagged v1.2.3',
      () => push('ecr-push-orders-api.json', { 'image-tag': 'v1.2.3' }),
      'tag "v1.2.3" is not sha-<commit>; only commit builds deploy',
    ],
    [
      'a push without a digest',
      () => withoutDetail('ecr-push-orders-api.json', 'image-digest'),
      'push of orders-api:sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904 has no sha256 digest',
    ],
    [
      'a push whose digest is not sha256',
      () => push('ecr-push-orders-api.json', { 'image-digest': 'md5:0123456789abcdef' }),
      'push of orders-api:sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904 has no sha256 digest',
    ],
  ])('when it receives %s, it starts nothing and says why', async (_what, event, reason) => {
    // Prepare
    const input = event();

    // Act
    const decision = await startPromotion(input, deps);

    // Assess
    expect(decision).toEqual({ started: false, reason });
    expect(executions.started).toHaveLength(0);
  });
});
