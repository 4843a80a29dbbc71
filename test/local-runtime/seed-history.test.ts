import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { planHistory, playHistory, type HistoryPlan } from '../../local-runtime/seed-history';
import { deliveryMetrics, type DeliveryMetrics } from '../../shared/domain/delivery-metrics';
import type { DeploymentRecord } from '../../shared/domain/deployment-record';
import { sampleConfig } from '../support/fixtures';
import type { ApprovalView } from '../../shared/approvals/approval';

/**
 * Nine days of history (Mon 2026-11-02 to Tue 2026-11-10: three releases, the second frozen out for the
 * afternoon, the third breaking us-east-1 and fixed the next morning) played through the real state
 * machines; the metrics computed from what they recorded match what the plan says should happen.
 */
const plan: HistoryPlan = planHistory({
  days: 9,
  end: Date.parse('2026-11-11T00:00:00Z'),
  service: 'orders-api',
  repository: 'orders-api',
  production: { environment: 'prod', failingRegion: 'us-east-1' },
});

let records: DeploymentRecord[];
let ppe: DeliveryMetrics;
let prod: DeliveryMetrics;
let events: number;

beforeAll(async () => {
  const clock = new AutoAdvanceClock(plan.start);
  const pipeline = await LocalPipeline.start({
    config: sampleConfig(),
    clock,
    behaviours: plan.behaviours,
    approvalDelayMs: plan.approvalDelayMs,
  });
  try {
    ({ events } = await playHistory(plan, pipeline, clock));
    records = await pipeline.records.history('orders-api');
    const measured = deliveryMetrics(records, { from: plan.start, to: clock.now() }, [
      { service: 'orders-api', environment: 'ppe' },
      { service: 'orders-api', environment: 'staging' },
      { service: 'orders-api', environment: 'prod' },
    ]);
    [ppe, prod] = [measured[0]!, measured[2]!];
  } finally {
    await pipeline.close();
  }
}, 300_000);

const pushes = () => plan.actions.filter((a) => a.kind === 'event' && a.event['source'] === 'aws.ecr');
const tags = () => plan.actions.filter((a) => a.kind === 'event' && a.event['source'] !== 'aws.ecr');

describe('planHistory', () => {
  it('plans weekday pushes, two releases a week, a freeze and a failing release, the same on every run', () => {
    // Assess
    expect(tags()).toHaveLength(4); // Tue, Thu, Tue (breaks us-east-1) and its fix on Wednesday morning
    expect(plan.actions.filter((a) => a.kind === 'freeze')).toHaveLength(1);
    expect(Object.keys(plan.behaviours).length).toBeGreaterThanOrEqual(1);
    expect(planHistory({ ...optionsOf(), seed: 18 }).actions).toEqual(plan.actions);
    expect(pushes().every((a) => ![0, 6].includes(new Date(a.at).getUTCDay()))).toBe(true);
  });
});

describe('planHistory approvers', () => {
  it('take the same time for the same stage on every run, whatever the approval’s random id', () => {
    // Prepare
    const stage = { executionName: 'tag-orders-api-v1.3.0', environment: 'prod', region: 'us-east-1' };
    const approval = (approvalId: string) => ({ ...stage, approvalId }) as unknown as ApprovalView;

    // Act
    const delays = ['Ab3-x', 'Zq9_y', 'k2Lm0'].map((id) => plan.approvalDelayMs(approval(id)));
    const elsewhere = plan.approvalDelayMs({ ...approval('Ab3-x'), region: 'eu-west-1' });

    // Assess
    expect(new Set(delays).size).toBe(1);
    expect(delays[0]).toBeGreaterThanOrEqual(10 * 60_000);
    expect(delays[0]).toBeLessThan(120 * 60_000);
    expect(elsewhere).not.toBe(delays[0]);
  });
});

describe('a seeded history, measured', () => {
  it('sent every planned event', () => {
    expect(events).toBe(pushes().length + tags().length);
  });

  it('in PPE: every push deployed or, when broken, rolled back (each fixed by the next push)', () => {
    const broken = Object.values(plan.behaviours).filter((b) => b.failsHealthCheck).length;
    expect(ppe.deployments).toMatchObject({
      total: pushes().length, // the build that breaks us-east-1 later is fine in PPE
      failed: broken,
      successful: pushes().length - broken,
    });
    expect(ppe.deployments.total).toBeGreaterThan(0);
    expect(ppe.recovery).toMatchObject({ count: broken, open: 0 });
    expect(ppe.leadTime.from).toEqual({ commit: 0, push: ppe.deployments.successful, tag: 0 });
  });

  it('in production: four releases, one failed in us-east-1 and recovered by the next', () => {
    expect(prod.deployments).toMatchObject({ total: 4, successful: 3, failed: 1 });
    expect(prod.changeFailRate).toBe(0.25);
    expect(prod.recovery).toMatchObject({ count: 1, open: 0 });
    expect(prod.reworkRate).toBe(1 / 4);
  });

  it('knows where the production lead time went: approvals everywhere, the freeze once, bakes of 30 minutes a region', () => {
    const samples = prod.leadTime.samples;
    expect(samples.every((s) => s.parts)).toBe(true);
    expect(samples.every((s) => s.parts!.approval >= 3 * 10 * 60_000)).toBe(true); // three regions
    expect(samples.filter((s) => s.parts!.frozen > 0)).toHaveLength(1);
    expect(samples.every((s) => s.parts!.bake >= 3 * 30 * 60_000)).toBe(true);
    expect(prod.breakdown).toMatchObject({ deployments: 3, withoutTimeline: 0 });
    // The tags say when their commits were made, so production's lead times start there.
    expect(prod.leadTime.from).toMatchObject({ commit: 3, push: 0 });
  });

  it('wrote a timeline on every deployed record', () => {
    const deployed = records.filter((r) => r.outcome === 'deployed' && r.kind === 'deploy');
    expect(deployed.length).toBeGreaterThan(0);
    for (const r of deployed)
      expect(Object.keys(r.timeline ?? {}).sort()).toEqual(
        expect.arrayContaining(['bakeStartedAt', 'deployedAt', 'gateOpenedAt', 'lockedAt', 'readyAt']),
      );
  });
});

function optionsOf() {
  return {
    days: 9,
    end: Date.parse('2026-11-11T00:00:00Z'),
    service: 'orders-api',
    repository: 'orders-api',
    production: { environment: 'prod', failingRegion: 'us-east-1' },
  };
}
