import { promotionSchema } from '../../../shared/domain/promotion.schema';
import { releaseSchema } from '../../../shared/domain/release.schema';
import { stageRunSchema } from '../../../shared/domain/stage-run.schema';
import { ecrImageActionSchema } from '../../../shared/events/ecr-image-action.schema';
import { tagCreatedEventSchema } from '../../../shared/git-tags/tag-created.schema';
import { startPromotion } from '../../../shared/use-cases/start-promotion';
import { startRelease } from '../../../shared/use-cases/start-release';
import { RecordingExecutionControl } from '../../support/fakes';
import { loadEvent, sampleConfig } from '../../support/fixtures';

const PROMOTE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote';
const RELEASE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:release';

/** The execution inputs the starters build must pass the schemas their types are inferred from. */
describe('execution input schemas', () => {
  it('when a push starts a promotion, its input passes the promotion schema and each stage run passes the stage-run schema', async () => {
    // Prepare
    const executions = new RecordingExecutionControl();
    const push = ecrImageActionSchema.parse(loadEvent('ecr-push-orders-api.json'));

    // Act
    await startPromotion(push, { config: sampleConfig(), executions, promoteStateMachineArn: PROMOTE });

    // Assess
    const input = executions.started[0]?.input;
    const promotion = promotionSchema.parse(input);
    expect(promotion).toEqual(input);
    for (const stage of promotion.stages) {
      const run = { executionName: 'push-orders-api', ...promotion, stage };
      expect(stageRunSchema.safeParse(run).success).toBe(true);
    }
  });

  it('when a release tag starts a release, its input passes the release schema', async () => {
    // Prepare
    const executions = new RecordingExecutionControl();
    const tag = tagCreatedEventSchema.parse(loadEvent('git-tag-orders-api-v1.4.0.json'));

    // Act
    await startRelease(tag.detail, tag, {
      config: sampleConfig(),
      executions,
      releaseStateMachineArn: RELEASE,
    });

    // Assess
    const input = executions.started[0]?.input;
    expect(releaseSchema.parse(input)).toEqual(input);
  });

  it('when a promotion input has a digest that is not sha256, it names the field', () => {
    // Act
    const result = promotionSchema.safeParse({
      service: 'orders-api',
      version: 'sha-4b825dc',
      commit: '4b825dc',
      image: { registry: 'r', repository: 'orders-api', digest: 'latest' },
      trigger: { kind: 'push', eventId: 'e', at: '2026-11-20T09:15:02Z' },
      stages: [],
    });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['image.digest']);
  });
});
