import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import {
  deliveryMetricsOf,
  emittingDeliveryMetrics,
  type DeliveryMetricsSink,
} from '../../../shared/middleware/delivery-metrics';
import { InMemoryDeploymentRecords } from '../../support/fakes';

const T = Date.parse('2026-11-02T10:00:00Z');
const MIN = 60_000;

const base: DeploymentRecord = {
  service: 'orders-api',
  environment: 'prod',
  region: 'eu-west-1',
  version: 'v1.4.0',
  commit: '4b825dc',
  digest: 'sha256:abc',
  execution: 'release-orders-api-v1_4_0',
  kind: 'deploy',
  outcome: 'deployed',
  triggeredBy: 'tag v1.4.0',
  triggeredAt: new Date(T).toISOString(),
  startedAt: T + 50 * MIN,
  at: T + 90 * MIN,
};

describe('deliveryMetricsOf (the CloudWatch metrics of one record)', () => {
  it.each<[string, Partial<DeploymentRecord>, [string, number][]]>([
    [
      'a deploy without a timeline: counted, with its lead time from the tag',
      {},
      [
        ['Deployments', 1],
        ['LeadTime', 90 * MIN],
      ],
    ],
    [
      'a deploy with a timeline: the time it queued, waited for approval and the freeze, deployed and baked',
      {
        commitAt: new Date(T - 30 * MIN).toISOString(),
        timeline: {
          readyAt: T,
          lockedAt: T + 5 * MIN,
          gateClosedAt: T + 25 * MIN,
          gateOpenedAt: T + 45 * MIN,
          deployedAt: T + 52 * MIN,
          bakeStartedAt: T + 60 * MIN,
        },
      },
      [
        ['Deployments', 1],
        ['LeadTime', 120 * MIN],
        ['StageDuration', 90 * MIN],
        ['QueuedTime', 5 * MIN],
        ['ApprovalWait', 20 * MIN],
        ['FrozenTime', 20 * MIN],
        ['DeployingTime', 7 * MIN],
        ['SmokeTime', 8 * MIN],
        ['BakeTime', 30 * MIN],
      ],
    ],
    [
      "a stage without approval emits no approval wait: the gate check's 200 ms count as deploying",
      {
        timeline: {
          readyAt: T,
          lockedAt: T,
          gateOpenedAt: T + 200,
          deployedAt: T + 2 * MIN,
          bakeStartedAt: T + 3 * MIN,
        },
      },
      [
        ['Deployments', 1],
        ['LeadTime', 90 * MIN],
        ['StageDuration', 90 * MIN],
        ['QueuedTime', 0],
        ['DeployingTime', 2 * MIN],
        ['SmokeTime', MIN],
        ['BakeTime', 87 * MIN],
      ],
    ],
    [
      'a timeline without every mark (a stage started before they existed): no parts, as in pipeline metrics',
      { timeline: { readyAt: T, lockedAt: T + MIN, gateOpenedAt: T + 2 * MIN } },
      [
        ['Deployments', 1],
        ['LeadTime', 90 * MIN],
      ],
    ],
    [
      'a push deploy: its lead time starts at the push',
      {
        version: 'sha-4b825dc',
        triggeredAt: new Date(T + 10 * MIN).toISOString(),
      },
      [
        ['Deployments', 1],
        ['LeadTime', 80 * MIN],
      ],
    ],
    [
      'a rolled back stage',
      { outcome: 'rolled back' },
      [
        ['FailedDeployments', 1],
        ['Rollbacks', 1],
      ],
    ],
    ['a failed rollback', { outcome: 'rollback failed' }, [['FailedDeployments', 1]]],
    ['a stage frozen out before it deployed', { outcome: 'failed', startedAt: undefined }, []],
    ['a stage that failed after it deployed', { outcome: 'failed' }, [['FailedDeployments', 1]]],
    ['an operator rollback', { kind: 'rollback', outcome: 'deployed' }, [['OperatorRollbacks', 1]]],
    ['a superseded stage', { kind: 'skip', outcome: 'superseded' }, [['Superseded', 1]]],
    ['a rejection', { kind: 'approval', outcome: 'rejected' }, [['ApprovalsRejected', 1]]],
    ['an approval (its wait is on the deployed record)', { kind: 'approval', outcome: 'approved' }, []],
  ])('%s', (_what, change, expected) => {
    // Act
    const values = deliveryMetricsOf({ ...base, ...change });

    // Assess
    expect(values.map((v) => [v.name, v.value])).toEqual(expected);
  });
});

describe('emittingDeliveryMetrics', () => {
  it('when a record is written, it emits its metrics with the service and environment, after the write', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const emitted: Parameters<DeliveryMetricsSink>[] = [];
    const records = emittingDeliveryMetrics(store, (...args) => emitted.push(args));

    // Act
    await records.put({ ...base, outcome: 'rolled back' });

    // Assess
    expect(await store.history('orders-api')).toHaveLength(1);
    expect(emitted).toEqual([
      [
        { service: 'orders-api', environment: 'prod' },
        [
          { name: 'FailedDeployments', unit: 'Count', value: 1 },
          { name: 'Rollbacks', unit: 'Count', value: 1 },
        ],
      ],
    ]);
  });

  it('when a step is retried (or redriven) and writes the same record again, it emits once', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const emitted: Parameters<DeliveryMetricsSink>[] = [];
    const records = emittingDeliveryMetrics(store, (...args) => emitted.push(args));

    // Act
    const first = await records.put(base);
    const retried = await records.put({ ...base, at: base.at + 5 * MIN });
    await records.put({ ...base, region: 'us-east-1' });

    // Assess: the retry overwrote the record and emitted nothing; the other region is a stage of its own.
    expect([first, retried]).toEqual([{ created: true }, { created: false }]);
    expect(await store.history('orders-api')).toHaveLength(2);
    expect(emitted.map(([, values]) => values.find((v) => v.name === 'Deployments')?.value)).toEqual([1, 1]);
  });

  it('when emitting fails, the step does not: the record is written', async () => {
    // Prepare
    const store = new InMemoryDeploymentRecords();
    const records = emittingDeliveryMetrics(store, () => {
      throw new Error('EMF too large');
    });

    // Act
    await records.put(base);

    // Assess
    expect(await records.running('orders-api')).toHaveLength(1);
  });
});
