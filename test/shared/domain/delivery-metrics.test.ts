import {
  DAY_MS,
  deliveryMetrics,
  leadTimeStartOf,
  parseSince,
  percentile,
  stagePartsOf,
  type DeliveryMetrics,
} from '../../../shared/domain/delivery-metrics';
import type { DeploymentRecord, StageTimeline } from '../../../shared/domain/deployment-record';

/** Every time in these records is minutes after 2026-11-01T00:00Z, so the expectations can be checked by hand. */
const T0 = Date.parse('2026-11-01T00:00:00Z');
const m = (minutes: number) => T0 + minutes * 60_000;
const iso = (minutes: number) => new Date(m(minutes)).toISOString();
const MIN = 60_000;

function record(
  over: Partial<DeploymentRecord> &
    Pick<DeploymentRecord, 'execution' | 'environment' | 'version' | 'commit' | 'outcome' | 'at'>,
): DeploymentRecord {
  return {
    service: 'orders-api',
    region: 'eu-west-1',
    digest: `sha256:${over.commit.padEnd(64, '0')}`,
    kind: 'deploy',
    triggeredBy: 'test',
    ...over,
  };
}

function timeline(marks: Record<keyof StageTimeline, number | undefined>): StageTimeline {
  return Object.fromEntries(
    Object.entries(marks)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, m(v!)]),
  ) as unknown as StageTimeline;
}

/**
 * Three days of one service. Production (eu-west-1):
 *  A  release, commit time known (30 min before its push), full timeline in staging and production: lead 227 min
 *  B  release without commit time: lead from its push (300 min), no timeline
 *  C  release whose image push left no record: lead from the tag (200 min); rolled back, then redriven
 *  D  superseded by a newer release: no deployment
 *  E  release (lead 50 min from its tag) that an operator rolled back 110 min after it started out
 *  F  held by a freeze until it gave up (failed before the deploy); G rejected: stopped before deploying
 *  H  rollback failed, nothing deployed since: an open failure
 * Staging also gets a pre-release that never reaches production.
 */
const RECORDS: DeploymentRecord[] = [
  // A: PPE from the push at minute 0, staging and production from the tag at minute 60.
  record({
    execution: 'push-A',
    environment: 'ppe',
    version: 'sha-aaaaaaa',
    commit: 'aaaaaaa',
    outcome: 'deployed',
    triggeredAt: iso(0),
    startedAt: m(2),
    at: m(10),
  }),
  record({
    execution: 'rel-A',
    environment: 'staging',
    version: 'v1.1.0',
    commit: 'aaaaaaa',
    outcome: 'deployed',
    triggeredAt: iso(60),
    commitAt: iso(-30),
    startedAt: m(62),
    at: m(78),
    timeline: timeline({
      readyAt: 60,
      lockedAt: 62,
      gateClosedAt: undefined,
      gateOpenedAt: 62,
      deployedAt: 67,
      bakeStartedAt: 68,
    }),
  }),
  record({
    execution: 'rel-A',
    environment: 'production',
    version: 'v1.1.0',
    commit: 'aaaaaaa',
    kind: 'approval',
    outcome: 'approved',
    at: m(100),
  }),
  record({
    execution: 'rel-A',
    environment: 'production',
    version: 'v1.1.0',
    commit: 'aaaaaaa',
    outcome: 'deployed',
    triggeredAt: iso(60),
    commitAt: iso(-30),
    startedAt: m(130),
    at: m(197),
    timeline: timeline({
      readyAt: 80,
      lockedAt: 81,
      gateClosedAt: 100,
      gateOpenedAt: 130,
      deployedAt: 135,
      bakeStartedAt: 137,
    }),
  }),
  // B
  record({
    execution: 'push-B',
    environment: 'ppe',
    version: 'sha-bbbbbbb',
    commit: 'bbbbbbb',
    outcome: 'deployed',
    triggeredAt: iso(1000),
    at: m(1010),
  }),
  record({
    execution: 'rel-B',
    environment: 'production',
    version: 'v1.2.0',
    commit: 'bbbbbbb',
    outcome: 'deployed',
    triggeredAt: iso(1100),
    at: m(1300),
  }),
  // C: rolled back at 2020, the redrive deployed it at 2100.
  record({
    execution: 'rel-C',
    environment: 'production',
    version: 'v1.3.0',
    commit: 'ccccccc',
    outcome: 'rolled back',
    triggeredAt: iso(1900),
    startedAt: m(2000),
    at: m(2020),
  }),
  record({
    execution: 'rel-C',
    environment: 'production',
    version: 'v1.3.0',
    commit: 'ccccccc',
    outcome: 'deployed',
    triggeredAt: iso(1900),
    startedAt: m(2090),
    at: m(2100),
  }),
  // D
  record({
    execution: 'rel-D',
    environment: 'production',
    version: 'v1.3.1',
    commit: 'ddddddd',
    kind: 'skip',
    outcome: 'superseded',
    triggeredAt: iso(2150),
    at: m(2200),
  }),
  // E and the operator's rollback of it.
  record({
    execution: 'rel-E',
    environment: 'production',
    version: 'v1.4.0',
    commit: 'eeeeeee',
    outcome: 'deployed',
    triggeredAt: iso(2950),
    startedAt: m(2990),
    at: m(3000),
  }),
  record({
    execution: 'rollback-1',
    environment: 'production',
    version: 'v1.3.0',
    commit: 'ccccccc',
    kind: 'rollback',
    outcome: 'deployed',
    triggeredAt: iso(3080),
    startedAt: m(3090),
    at: m(3100),
  }),
  // F and G
  record({
    execution: 'rel-F',
    environment: 'production',
    version: 'v1.5.0',
    commit: 'fffffff',
    outcome: 'failed',
    triggeredAt: iso(3150),
    at: m(3200),
  }),
  record({
    execution: 'rel-G',
    environment: 'production',
    version: 'v1.5.1',
    commit: '1111111',
    kind: 'approval',
    outcome: 'rejected',
    at: m(3300),
  }),
  // H
  record({
    execution: 'rel-H',
    environment: 'production',
    version: 'v1.6.0',
    commit: '2222222',
    outcome: 'rollback failed',
    triggeredAt: iso(3350),
    startedAt: m(3400),
    at: m(3420),
  }),
  // The pre-release: staging only.
  record({
    execution: 'rel-rc',
    environment: 'staging',
    version: 'v1.2.0-rc.1',
    commit: 'bbbbbbb',
    outcome: 'deployed',
    triggeredAt: iso(1050),
    at: m(1080),
  }),
];

const WINDOW = { from: m(0), to: m(3 * 1440) };

function metricsOf(environment: string, records = RECORDS, window = WINDOW): DeliveryMetrics {
  const [metrics] = deliveryMetrics(records, window, [{ service: 'orders-api', environment }]);
  return metrics!;
}

describe('deliveryMetrics over a fixed record set (docs/metrics.md)', () => {
  const production = metricsOf('production');

  it.each([
    ['deployments that started to go out (A, B, C, E, H)', production.deployments.total, 5],
    ['successful deployments (A, B, C redriven, E)', production.deployments.successful, 4],
    ['failed deployments (C rolled back, E rolled back by an operator, H)', production.deployments.failed, 3],
    ['superseded (D): not a deployment', production.deployments.superseded, 1],
    ['stopped before deploying (F frozen out, G rejected)', production.deployments.stoppedBeforeDeploying, 2],
    ['operator rollbacks', production.deployments.operatorRollbacks, 1],
    ['deployments per day: 4 in 3 days', production.deployments.perDay, 4 / 3],
    ['change fail rate: 3 of 5', production.changeFailRate, 0.6],
    ['lead times counted', production.leadTime.count, 4],
    ['lead time median (nearest rank of 50, 200, 227, 300 min)', production.leadTime.median, 200 * MIN],
    ['lead time p90', production.leadTime.p90, 300 * MIN],
    ['recovered failures (C by its redrive, E by the rollback)', production.recovery.count, 2],
    ['recovery median of 100 and 110 min', production.recovery.median, 100 * MIN],
    ['recovery p90', production.recovery.p90, 110 * MIN],
    ['failures not recovered yet (H)', production.recovery.open, 1],
    ['rework rate: (1 rollback + C redriven) / (5 + 1)', production.reworkRate, 2 / 6],
    ['deployments with a whole timeline (A)', production.breakdown.deployments, 1],
    ['deployments without one (B, C, E)', production.breakdown.withoutTimeline, 3],
  ])('%s', (_what, actual, expected) => {
    expect(actual).toBeCloseTo(expected as number, 10);
  });

  it('says where each lead time started: A from its commit, B from its push, C and E from their tags', () => {
    // Assess
    expect(production.leadTime.from).toEqual({ commit: 1, push: 1, tag: 2 });
    expect(
      production.leadTime.samples.map((s) => [s.execution, s.leadTimeMs / MIN, s.from, s.deployedAt]),
    ).toEqual([
      ['rel-A', 227, 'commit', m(197)],
      ['rel-B', 300, 'push', m(1300)],
      ['rel-C', 200, 'tag', m(2100)],
      ['rel-E', 50, 'tag', m(3000)],
    ]);
  });

  it("splits A's production lead time over both its stages, and the parts add up to it", () => {
    // Prepare: staging queued 2, deploying 5, smoke 1, bake 10; production ready 2 min after staging
    // ended (other), queued 1, approval 19, frozen 30, deploying 5, smoke 2, bake 60; 90 before the tag.
    const expected = {
      beforePipeline: 90,
      queued: 3,
      approval: 19,
      frozen: 30,
      deploying: 10,
      smoke: 3,
      bake: 70,
      other: 2,
    };

    // Act
    const parts = production.leadTime.samples[0]!.parts!;

    // Assess
    expect(Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v / MIN]))).toEqual(expected);
    expect(Object.values(parts).reduce((a, b) => a + b, 0)).toBe(227 * MIN);
    expect(production.breakdown.median).toEqual(parts);
    expect(production.breakdown.total).toEqual(parts);
  });

  it('counts successful deployments per UTC day of the window, empty days included', () => {
    expect(production.deployments.byDay).toEqual([
      { day: '2026-11-01', count: 2 },
      { day: '2026-11-02', count: 1 },
      { day: '2026-11-03', count: 1 },
      { day: '2026-11-04', count: 0 },
    ]);
  });

  it('counts a pre-release in staging, where it deployed, and never in production', () => {
    // Act
    const staging = metricsOf('staging');

    // Assess
    expect(staging.deployments.successful).toBe(2);
    expect(staging.leadTime.samples.map((s) => [s.version, s.leadTimeMs / MIN, s.from])).toEqual([
      ['v1.1.0', 108, 'commit'],
      ['v1.2.0-rc.1', 80, 'push'],
    ]);
    expect(production.leadTime.samples.some((s) => s.version.includes('rc'))).toBe(false);
  });

  it('measures a push from its own push time', () => {
    const ppe = metricsOf('ppe');
    expect(ppe.leadTime.samples.map((s) => [s.execution, s.leadTimeMs / MIN, s.from])).toEqual([
      ['push-A', 10, 'push'],
      ['push-B', 10, 'push'],
    ]);
    expect(ppe.changeFailRate).toBe(0);
  });

  it('only counts the deployments that ended inside the window, but still finds their starts before it', () => {
    // Act: the second day only.
    const day2 = metricsOf('production', RECORDS, { from: m(1440), to: m(2880) });

    // Assess: C alone; its recovery and its tag are inside, B (minute 1300) is not.
    expect(day2.deployments).toMatchObject({ total: 1, successful: 1, failed: 1, superseded: 1 });
    expect(day2.leadTime.samples.map((s) => s.execution)).toEqual(['rel-C']);
    expect(day2.window.days).toBe(1);
  });

  it('gives nulls, not zeros or NaN, where there is nothing to measure', () => {
    // Act
    const empty = metricsOf('production', [], WINDOW);

    // Assess
    expect(empty).toMatchObject({
      changeFailRate: null,
      reworkRate: null,
      leadTime: { count: 0, median: null, p90: null },
      recovery: { count: 0, median: null, p90: null, open: 0 },
      breakdown: { deployments: 0, median: null },
    });
    expect(empty.deployments.byDay).toHaveLength(4);
  });

  it('without a scope, reports every service and environment the records mention, sorted', () => {
    expect(deliveryMetrics(RECORDS, WINDOW).map((x) => `${x.service}/${x.environment}`)).toEqual([
      'orders-api/ppe',
      'orders-api/production',
      'orders-api/staging',
    ]);
  });
});

describe('deliveryMetrics across regions', () => {
  const release = (region: string, outcome: DeploymentRecord['outcome'], at: number) =>
    record({
      execution: 'rel-1',
      environment: 'production',
      region,
      version: 'v2.0.0',
      commit: 'abcdef0',
      outcome,
      triggeredAt: iso(0),
      startedAt: m(at - 5),
      at: m(at),
    });

  it.each([
    [
      'three regions deployed are one deployment, done when the last region is',
      [
        release('eu-west-1', 'deployed', 30),
        release('us-east-1', 'deployed', 60),
        release('ap-southeast-2', 'deployed', 90),
      ],
      { total: 1, successful: 1, failed: 0, leadTime: 90 },
    ],
    [
      'a later region rejected does not undo the ones deployed',
      [
        release('eu-west-1', 'deployed', 30),
        { ...release('us-east-1', 'rejected', 60), kind: 'approval' as const },
      ],
      { total: 1, successful: 1, failed: 0, leadTime: 30 },
    ],
    [
      'a later region rolled back fails the whole deployment',
      [release('eu-west-1', 'deployed', 30), release('us-east-1', 'rolled back', 60)],
      { total: 1, successful: 0, failed: 1, leadTime: undefined },
    ],
    [
      'a second tag recorded where its image already runs is no deployment (two tags on one commit)',
      [
        { ...release('eu-west-1', 'already running', 30), kind: 'record' as const },
        { ...release('us-east-1', 'already running', 31), kind: 'record' as const },
      ],
      { total: 0, successful: 0, failed: 0, leadTime: undefined },
    ],
    [
      'recorded in one region and deployed in another, it is one deployment, done where it deployed',
      [
        { ...release('eu-west-1', 'already running', 30), kind: 'record' as const },
        release('us-east-1', 'deployed', 60),
      ],
      { total: 1, successful: 1, failed: 0, leadTime: 60 },
    ],
  ])('%s', (_what, records, expected) => {
    // Act
    const metrics = metricsOf('production', records, { from: m(0), to: m(1440) });

    // Assess
    expect(metrics.deployments).toMatchObject({
      total: expected.total,
      successful: expected.successful,
      failed: expected.failed,
    });
    expect(metrics.leadTime.samples[0]?.leadTimeMs).toBe(
      expected.leadTime === undefined ? undefined : expected.leadTime * MIN,
    );
  });

  it('recovers a failure only by a deploy in the same region', () => {
    // Prepare: us-east-1 rolled back at 60; eu-west-1 deployed something else at 100; us-east-1 at 200.
    const records = [
      release('us-east-1', 'rolled back', 60),
      record({
        execution: 'rel-2',
        environment: 'production',
        region: 'eu-west-1',
        version: 'v2.0.1',
        commit: 'abcdef1',
        outcome: 'deployed',
        triggeredAt: iso(90),
        at: m(100),
      }),
      record({
        execution: 'rel-2',
        environment: 'production',
        region: 'us-east-1',
        version: 'v2.0.1',
        commit: 'abcdef1',
        outcome: 'deployed',
        triggeredAt: iso(90),
        at: m(200),
      }),
    ];

    // Act
    const metrics = metricsOf('production', records, { from: m(0), to: m(1440) });

    // Assess: from the failed deploy's start (55) to 200.
    expect(metrics.recovery).toMatchObject({ count: 1, median: 145 * MIN, open: 0 });
    expect(metrics.reworkRate).toBe(1 / 2);
  });
});

describe('stagePartsOf (the one cut of a stage timeline: pipeline metrics and CloudWatch)', () => {
  const stage = (marks: Record<keyof StageTimeline, number | undefined>, at = 100) =>
    record({
      execution: 'rel-X',
      environment: 'production',
      version: 'v2.0.0',
      commit: 'xxxxxxx',
      outcome: 'deployed',
      at: m(at),
      timeline: timeline(marks),
    });
  const inMinutes = (parts: object | undefined) =>
    parts && Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, (v as number) / MIN]));

  it.each<[string, Record<keyof StageTimeline, number | undefined>, Record<string, number>]>([
    [
      'every part: queued 5, approval 20, frozen 20, deploying 7, smoke 8, bake 40',
      { readyAt: 0, lockedAt: 5, gateClosedAt: 25, gateOpenedAt: 45, deployedAt: 52, bakeStartedAt: 60 },
      { queued: 5, approval: 20, frozen: 20, deploying: 7, smoke: 8, bake: 40 },
    ],
    [
      'an approval, no freeze: the gate opened when it was first checked',
      {
        readyAt: 0,
        lockedAt: 10,
        gateClosedAt: undefined,
        gateOpenedAt: 40,
        deployedAt: 50,
        bakeStartedAt: 55,
      },
      { queued: 10, approval: 30, frozen: 0, deploying: 10, smoke: 5, bake: 45 },
    ],
    [
      'no approval (the gate checked 0.5 s after the lock), then a freeze: the half second is frozen',
      {
        readyAt: 0,
        lockedAt: 10,
        gateClosedAt: 10 + 0.5 / 60,
        gateOpenedAt: 70,
        deployedAt: 80,
        bakeStartedAt: 85,
      },
      { queued: 10, approval: 0, frozen: 60, deploying: 10, smoke: 5, bake: 15 },
    ],
    [
      'marks out of order (ECS complete noted after the bake began): each part is zero or more',
      {
        readyAt: 0,
        lockedAt: 0,
        gateClosedAt: undefined,
        gateOpenedAt: 0,
        deployedAt: 30,
        bakeStartedAt: 20,
      },
      { queued: 0, approval: 0, frozen: 0, deploying: 30, smoke: 0, bake: 70 },
    ],
  ])('%s; the parts add up to the stage', (_what, marks, expected) => {
    // Act
    const parts = stagePartsOf(stage(marks));

    // Assess
    expect(inMinutes(parts)).toEqual(expected);
    expect(Object.values(parts!).reduce((a, b) => a + b, 0)).toBe(100 * MIN);
  });

  it.each<[string, DeploymentRecord]>([
    [
      'a timeline missing a mark',
      stage({
        readyAt: 0,
        lockedAt: 5,
        gateClosedAt: undefined,
        gateOpenedAt: 6,
        deployedAt: 10,
        bakeStartedAt: undefined,
      }),
    ],
    [
      'no timeline',
      record({
        execution: 'rel-X',
        environment: 'production',
        version: 'v2.0.0',
        commit: 'x',
        outcome: 'deployed',
        at: m(1),
      }),
    ],
    [
      'a record that did not deploy',
      {
        ...stage({
          readyAt: 0,
          lockedAt: 5,
          gateClosedAt: undefined,
          gateOpenedAt: 6,
          deployedAt: 10,
          bakeStartedAt: 20,
        }),
        outcome: 'rolled back',
      },
    ],
  ])('has no parts for %s', (_what, r) => {
    expect(stagePartsOf(r)).toBeUndefined();
  });
});

describe('leadTimeStartOf', () => {
  it.each<[string, Parameters<typeof leadTimeStartOf>, { at: number; from: string } | undefined]>([
    [
      'the commit first',
      [{ version: 'v1.0.0', commitAt: iso(-30), triggeredAt: iso(0) }, m(-10)],
      { at: m(-30), from: 'commit' },
    ],
    ['then the push', [{ version: 'v1.0.0', triggeredAt: iso(0) }, m(-10)], { at: m(-10), from: 'push' }],
    ['then the tag', [{ version: 'v1.0.0', triggeredAt: iso(0) }], { at: m(0), from: 'tag' }],
    ['a push trigger is a push', [{ version: 'sha-abc', triggeredAt: iso(5) }], { at: m(5), from: 'push' }],
    [
      'an unreadable commit time is skipped',
      [{ version: 'v1.0.0', commitAt: 'yesterday', triggeredAt: iso(0) }],
      { at: m(0), from: 'tag' },
    ],
    ['nothing known', [{ version: 'v1.0.0' }], undefined],
  ])('%s', (_what, args, expected) => {
    expect(leadTimeStartOf(...args)).toEqual(expected);
  });
});

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.9, 7],
    [[4, 1, 3, 2], 0.5, 2],
    [[4, 1, 3, 2], 0.9, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9],
    [[1, 2, 3, 4, 5], 0.5, 3],
  ])('of %j at %d is %p', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it.each([
    ['30d', { from: now - 30 * DAY_MS, to: now }],
    ['12h', { from: now - 12 * 3_600_000, to: now }],
    ['2w', { from: now - 14 * DAY_MS, to: now }],
    ['2026-11-01', { from: Date.parse('2026-11-01T00:00:00Z'), to: now }],
  ])('reads %s', (since, expected) => {
    expect(parseSince(since, now)).toEqual(expected);
  });

  it.each([
    ['30x', '--since must be a duration like 30d, 12h or 2w, or a date like 2026-11-01, got "30x"'],
    ['', '--since must be a duration like 30d, 12h or 2w, or a date like 2026-11-01, got ""'],
    ['0d', '--since must be longer than nothing, got "0d"'],
    ['2026-02-30', '--since "2026-02-30" is not a calendar date'],
    ['2026-12-01', '--since 2026-12-01 is not in the past'],
  ])('refuses %j', (since, problem) => {
    expect(parseSince(since, now)).toEqual({ problem });
  });
});
