import { LocalEventBus, noRuleReason } from '../../local-runtime/event-bus';
import { loadEvent, sampleConfig } from '../support/fixtures';

/** The local event bus routes with the rules serverless.yml deploys and explains the events none takes. */
describe('LocalEventBus', () => {
  it('when an event matches a rule, it delivers it to that rule target only and returns what the target returned', async () => {
    // Prepare
    const delivered: { target: string; event: unknown }[] = [];
    const bus = new LocalEventBus(sampleConfig(), async (target, event) => {
      delivered.push({ target, event });
      return { started: true };
    });
    const push = loadEvent('ecr-push-orders-api.json');

    // Act
    const routed = await bus.put(push);

    // Assess
    expect(delivered).toEqual([{ target: 'startPromotion', event: push }]);
    expect(routed).toEqual({ deliveries: [{ rule: 'startPromotion', result: { started: true } }] });
  });

  it('when the target throws, it records the error by name and message and does not throw', async () => {
    // Prepare
    const bus = new LocalEventBus(sampleConfig(), async () => {
      throw new TypeError('bad input');
    });

    // Act
    const routed = await bus.put(loadEvent('ecr-push-orders-api.json'));

    // Assess
    expect(routed.deliveries).toEqual([
      { rule: 'startPromotion', error: { name: 'TypeError', message: 'bad input' } },
    ]);
  });

  it('when no rule matches, it delivers nothing and noRuleReason names the field that failed', async () => {
    // Prepare
    const delivered: string[] = [];
    const bus = new LocalEventBus(sampleConfig(), async (target) => delivered.push(target));
    const latest = loadEvent('ecr-push-latest-tag.json');

    // Act
    const routed = await bus.put(latest);

    // Assess
    expect(routed.deliveries).toEqual([]);
    expect(delivered).toEqual([]);
    expect(noRuleReason(sampleConfig(), latest)).toMatch(
      /^no rule matches: detail\.image-tag "latest" is not one of/,
    );
  });

  it('when the source is one no rule listens to, noRuleReason says so', () => {
    // Act
    const reason = noRuleReason(sampleConfig(), { source: 'aws.s3', 'detail-type': 'Object Created' });

    // Assess
    expect(reason).toBe('no rule matches source "aws.s3" / "Object Created"');
  });
});
