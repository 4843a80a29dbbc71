import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import { pushTime } from '../../shared/use-cases/reconcile-images';
import { isNewer } from '../../shared/use-cases/stage-lock';
import { loadEvent, sampleConfig } from '../support/fixtures';

/**
 * Which push is newer does not depend on who started its promotion: a push the reconciliation sweep found
 * (its event lost) and a later push whose event arrived are ordered by when each was pushed, so PPE ends on
 * the newest build.
 */
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const THIRD_COMMIT = 'c0ffee0ddba11facade0123456789abcdef01234';

let pipeline: LocalPipeline;

afterEach(async () => {
  await pipeline?.close({ abandon: true });
});

const servingCommit = () =>
  pipeline.platform.serving(ORDERS_PPE)?.containers[0]?.environment[DEPLOYED_ENV.commit];

describe('the order of pushes', () => {
  it('when the sweep promoted a lost push and the event of a push made after it arrives late, PPE ends on the later push', async () => {
    // Prepare: the first push deploys; the second's event is lost and the sweep promotes it
    pipeline = await LocalPipeline.start({ config: sampleConfig() });
    const start = pipeline.clock.now();
    const at = (minutes: number) =>
      new Date(start + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await pipeline.putEvent({ ...loadEvent('ecr-push-orders-api.json'), time: at(-60) });
    await pipeline.settled();
    pipeline.loseImagePushEvent({ ...loadEvent('ecr-push-orders-api-broken.json'), time: at(-30) });
    await pipeline.clock.sleep(10 * 60_000);
    await pipeline.lambdas.invoke('reconcileImages', {});
    await pipeline.settled();
    const second = String(loadEvent('ecr-push-orders-api-broken.json').detail['image-tag']).slice(4);
    expect(servingCommit()).toBe(second);

    // Act: a third build, pushed 20 minutes ago (after the second), whose event arrives only now
    const third = loadEvent('ecr-push-orders-api.json');
    const routed = await pipeline.putEvent({
      ...third,
      id: 'third-push',
      time: at(-20),
      detail: {
        ...third.detail,
        'image-tag': `sha-${THIRD_COMMIT}`,
        'image-digest': `sha256:${'7'.repeat(64)}`,
      },
    });
    await pipeline.settled();

    // Assess: ordered by push time (the sweep's promotion carries the second push's time, not the sweep's)
    expect(routed.deliveries[0]?.result).toMatchObject({ started: true });
    expect(servingCommit()).toBe(THIRD_COMMIT);
    const records = await pipeline.records.history('orders-api');
    expect(records.map((r) => r.outcome)).not.toContain('superseded');
  });

  it('when the sweep stamps a promotion, it uses the push time to the second, as the push event does', () => {
    // Act & Assess
    expect(pushTime(Date.parse('2026-11-20T09:15:02.999Z'))).toBe('2026-11-20T09:15:02Z');
    expect(pushTime(Date.parse('2026-11-20T09:15:03.000Z'))).toBe('2026-11-20T09:15:03Z');
  });

  it('when ordering on AWS, a sweep-started push (DescribeImages imagePushedAt, with milliseconds) is not newer than an event-started push of a later moment in the same second', () => {
    // Prepare: the sweep saw image A pushed at .700; image B was pushed at .900 and its event says 09:15:02Z
    const sweep = {
      kind: 'push' as const,
      version: 'sha-a',
      at: pushTime(Date.parse('2026-11-20T09:15:02.700Z')),
      owner: 'a',
    };
    const event = { kind: 'push' as const, version: 'sha-b', at: '2026-11-20T09:15:02Z', owner: 'b' };
    const later = { ...event, at: '2026-11-20T09:15:03Z' };

    // Act & Assess: within a second neither supersedes the other; a later second does
    expect(isNewer(sweep, event)).toBe(false);
    expect(isNewer(event, sweep)).toBe(false);
    expect(isNewer(later, sweep)).toBe(true);
    expect(isNewer(sweep, later)).toBe(false);
  });
});
