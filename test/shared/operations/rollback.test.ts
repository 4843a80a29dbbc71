import { ManualClock } from '../../../shared/clock';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import {
  planRollback,
  RollbackRefusedError,
  startRollback,
  type RollbackRequest,
} from '../../../shared/operations/rollback';
import type { PipelineExecutions } from '../../../shared/ports/operations';
import { InMemoryDeploymentRecords } from '../../support/fakes';
import { sampleConfig } from '../../support/fixtures';

/**
 * `pipeline rollback` planning (shared/operations/rollback.ts): every refusal with its exact message, and the
 * promotion a plan starts.
 */
const NOW = Date.UTC(2026, 10, 22, 22, 40, 30);
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'] as const;
let sequence = 0;

function deployed(version: string, region: string, at: number, extra: Partial<DeploymentRecord> = {}) {
  const record: DeploymentRecord = {
    service: 'orders-api',
    environment: 'prod',
    region,
    version,
    commit: `${version.replace(/\W/g, '')}`.padEnd(40, '0'),
    digest: `sha256:${version.replace(/\W/g, '').padEnd(64, '0')}`,
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    repository: 'orders-api',
    taskDefinitionArn: `arn:aws:ecs:${region}:123456789012:task-definition/orders-api:${++sequence}`,
    execution: `release-orders-api-${version}`,
    kind: 'deploy',
    outcome: 'deployed',
    triggeredBy: `tag ${version}`,
    triggeredAt: new Date(at - 60_000).toISOString(),
    startedAt: at - 30_000,
    at,
    ...extra,
  };
  return record;
}

/** v1.1.0 then v1.2.0 deployed to every production region. */
const HISTORY: DeploymentRecord[] = REGIONS.flatMap((region, i) => [
  deployed('v1.1.0', region, NOW - 10 * 86_400_000 + i),
  deployed('v1.2.0', region, NOW - 86_400_000 + i),
]);

async function plan(request: Partial<RollbackRequest>, records: DeploymentRecord[] = HISTORY) {
  const store = new InMemoryDeploymentRecords();
  for (const record of records) await store.put(record);
  return planRollback(
    { service: 'orders-api', environment: 'prod', by: 'ops@example.com', ...request },
    { config: sampleConfig(), records: store, clock: new ManualClock(NOW) },
  );
}

async function refusal(request: Partial<RollbackRequest>, records?: DeploymentRecord[]): Promise<string> {
  try {
    await plan(request, records);
  } catch (error) {
    if (error instanceof RollbackRefusedError) return `${error.name}: ${error.message}`;
    throw error;
  }
  return 'planned';
}

describe('rollback plan: refusals', () => {
  it.each<[string, Partial<RollbackRequest>, DeploymentRecord[] | undefined, string]>([
    [
      'an unknown service',
      { service: 'billing-api' },
      undefined,
      'RollbackRefused: no service billing-api in the config (services: orders-api, payments-api)',
    ],
    [
      'an unknown environment',
      { environment: 'qa' },
      undefined,
      'RollbackRefused: orders-api has no environment qa (environments: ppe, staging, prod)',
    ],
    [
      'an unknown region',
      { region: 'eu-central-1' },
      undefined,
      'RollbackRefused: prod has no region eu-central-1 (regions: eu-west-1, us-east-1, ap-southeast-2)',
    ],
    [
      'a version the pipeline never deployed',
      { to: 'v0.9.0' },
      undefined,
      'RollbackRefused: orders-api v0.9.0 was never deployed by the pipeline, so its image is not known (known: v1.2.0, v1.1.0)',
    ],
    [
      'a version, with no deployments at all',
      { to: 'v0.9.0' },
      [],
      'RollbackRefused: orders-api v0.9.0 was never deployed by the pipeline, so its image is not known',
    ],
    [
      'a version that only failed to deploy',
      { to: 'v1.3.0' },
      [...HISTORY, deployed('v1.3.0', 'eu-west-1', NOW, { outcome: 'rolled back' })],
      'RollbackRefused: orders-api v1.3.0 was never deployed by the pipeline, so its image is not known (known: v1.2.0, v1.1.0)',
    ],
    [
      'the previous release, when there is none',
      {},
      REGIONS.map((region) => deployed('v1.2.0', region, NOW)),
      'RollbackRefused: orders-api has no earlier release in prod to roll back to; name one with --to',
    ],
    [
      'the previous release of one region, when there is none',
      { region: 'us-east-1' },
      [deployed('v1.1.0', 'eu-west-1', NOW - 5), deployed('v1.2.0', 'us-east-1', NOW)],
      'RollbackRefused: orders-api has no earlier release in prod/us-east-1 to roll back to; name one with --to',
    ],
    [
      'the previous release, when the regions ran different ones',
      {},
      [
        ...HISTORY,
        deployed('v1.0.0', 'ap-southeast-2', NOW - 20 * 86_400_000),
        deployed('v1.2.1', 'ap-southeast-2', NOW),
      ],
      'RollbackRefused: the regions of prod ran different releases before (v1.1.0, v1.2.0): ' +
        'name the one to go back to with --to, or roll back one --region at a time',
    ],
    [
      'a version every region already runs',
      { to: 'v1.2.0' },
      undefined,
      'RollbackRefused: orders-api already runs v1.2.0 in prod',
    ],
    [
      'a version the region already runs',
      { to: 'v1.2.0', region: 'us-east-1' },
      undefined,
      'RollbackRefused: orders-api already runs v1.2.0 in prod/us-east-1',
    ],
    [
      'a version, with more than eight releases known (the message lists the newest eight)',
      { to: 'v0.9.0' },
      Array.from({ length: 10 }, (_, i) => deployed(`v1.${i}.0`, 'eu-west-1', NOW - 10 + i)),
      'RollbackRefused: orders-api v0.9.0 was never deployed by the pipeline, so its image is not known ' +
        '(known: v1.9.0, v1.8.0, v1.7.0, v1.6.0, v1.5.0, v1.4.0, v1.3.0, v1.2.0)',
    ],
    [
      'the previous release, when one region never ran anything',
      {},
      HISTORY.filter((r) => r.region !== 'ap-southeast-2'),
      'RollbackRefused: orders-api has no earlier release in prod to roll back to; name one with --to',
    ],
    ['a version some regions still run', { to: 'v1.1.0' }, [...HISTORY.slice(0, 5)], 'planned'],
    ['the previous release', {}, undefined, 'planned'],
  ])('when the operator asks for %s, the answer is exact', async (_what, request, records, expected) => {
    expect(await refusal(request, records)).toBe(expected);
  });
});

describe('rollback plan: what it reads', () => {
  it('when another environment deployed a newer release in the same region, the previous release is still this environment’s', async () => {
    // Prepare: staging ran v1.3.0 in eu-west-1 after prod's v1.2.0
    const staging = deployed('v1.3.0', 'eu-west-1', NOW, { environment: 'staging' });

    // Act
    const planned = await plan({ region: 'eu-west-1' }, [...HISTORY, staging]);

    // Assess
    expect(planned.promotion.version).toBe('v1.1.0');
  });

  it('when a region runs nothing the pipeline deployed, the plan shows it as running no version', async () => {
    // Act
    const planned = await plan(
      { to: 'v1.1.0' },
      HISTORY.filter((r) => r.region !== 'ap-southeast-2'),
    );

    // Assess
    expect(planned.current).toEqual([
      { environment: 'prod', region: 'eu-west-1', version: 'v1.2.0' },
      { environment: 'prod', region: 'us-east-1', version: 'v1.2.0' },
      { environment: 'prod', region: 'ap-southeast-2', version: null },
    ]);
  });
});

describe('rollback plan: the promotion it starts', () => {
  it('when the previous release is planned, it goes back to its image by digest, on purpose, without approval, to every region', async () => {
    // Act
    const planned = await plan({});

    // Assess
    const target = HISTORY[0]!;
    expect(planned.name).toBe('rollback-orders-api-prod-v1_1_0-20261122T2240');
    expect(planned.current).toEqual(
      REGIONS.map((region) => ({ environment: 'prod', region, version: 'v1.2.0' })),
    );
    expect(planned.promotion).toMatchObject({
      service: 'orders-api',
      version: 'v1.1.0',
      commit: target.commit,
      image: { registry: target.registry, repository: 'orders-api', digest: target.digest },
      trigger: {
        kind: 'tag',
        eventId: planned.name,
        at: target.triggeredAt,
        allowDowngrade: true,
        rollbackBy: 'ops@example.com',
      },
    });
    expect(planned.promotion.stages.map((s) => `${s.environment}/${s.region}`)).toEqual(
      REGIONS.map((region) => `prod/${region}`),
    );
    expect(planned.promotion.stages.filter((s) => 'approval' in s)).toEqual([]);
  });

  it('when one region of a push-built environment is named, the plan covers it alone and orders as a push', async () => {
    // Prepare: PPE ran two push builds
    const ppe = (version: string, at: number) =>
      deployed(version, 'eu-west-1', at, { environment: 'ppe', triggeredAt: undefined });

    // Act
    const planned = await plan({ environment: 'ppe', region: 'eu-west-1' }, [
      ppe('sha-aaaaaaaaaaaa', NOW - 7200_000),
      ppe('sha-bbbbbbbbbbbb', NOW - 3600_000),
    ]);

    // Assess
    expect(planned.name).toBe('rollback-orders-api-ppe-eu-west-1-sha-aaaaaaaaaaaa-20261122T2240');
    expect(planned.promotion.trigger).toEqual({
      kind: 'push',
      eventId: planned.name,
      at: new Date(NOW - 7200_000 - 30_000).toISOString(),
      allowDowngrade: true,
      rollbackBy: 'ops@example.com',
    });
    expect(planned.promotion.stages.map((s) => `${s.environment}/${s.region}`)).toEqual(['ppe/eu-west-1']);
  });

  it('when the plan is started, it starts one promote execution under the plan’s name', async () => {
    // Prepare
    const planned = await plan({});
    const started: unknown[] = [];
    const executions = {
      start: async (machine: string, name: string, input: unknown) => {
        started.push([machine, name, input]);
        return { executionArn: `arn:${name}`, alreadyExisted: false };
      },
    } as Pick<PipelineExecutions, 'start'> as PipelineExecutions;

    // Act
    const result = await startRollback(planned, { executions });

    // Assess
    expect(result).toEqual({ executionArn: `arn:${planned.name}`, alreadyExisted: false });
    expect(started).toEqual([['promote', planned.name, planned.promotion]]);
  });
});

describe('rollback plan: two tags on one commit', () => {
  /** v1.1.0, then v1.2.0, then v1.2.1 recorded without a redeploy on v1.2.0's image, in every region. */
  const SAME_IMAGE: DeploymentRecord[] = [
    ...HISTORY,
    ...REGIONS.map((region, i) => {
      const v120 = HISTORY.find((r) => r.version === 'v1.2.0' && r.region === region)!;
      return deployed('v1.2.1', region, NOW - 3_600_000 + i, {
        commit: v120.commit,
        digest: v120.digest,
        kind: 'record',
        outcome: 'already running',
        startedAt: undefined,
        deployedAs: 'v1.2.0',
        runningSince: v120.startedAt,
      });
    }),
  ];

  it('when the running release was recorded on the image of the one before, it goes back to the release with another image', async () => {
    // Act
    const planned = await plan({}, SAME_IMAGE);

    // Assess
    expect(planned.promotion.version).toBe('v1.1.0');
    expect(planned.current.map((c) => c.version)).toEqual(['v1.2.1', 'v1.2.1', 'v1.2.1']);
  });

  it('when asked to go back to a release of the image that runs, it refuses: nothing would change', async () => {
    // Act
    const message = await refusal({ to: 'v1.2.0' }, SAME_IMAGE);

    // Assess
    expect(message).toBe(
      'RollbackRefused: orders-api already runs the image of v1.2.0 in prod (as v1.2.1: tags of one commit)',
    );
  });

  it('when regions run different tags of the image asked for, the refusal names each tag', async () => {
    // Prepare: v1.2.1 recorded on v1.2.0's image in eu-west-1 only
    const records = [...HISTORY, SAME_IMAGE.find((r) => r.version === 'v1.2.1' && r.region === 'eu-west-1')!];

    // Act
    const message = await refusal({ to: 'v1.2.0' }, records);

    // Assess
    expect(message).toBe(
      'RollbackRefused: orders-api already runs the image of v1.2.0 in prod (as v1.2.1, v1.2.0: tags of one commit)',
    );
  });

  it('when the running version was pushed again with another image, the release to go back to is the one before it', async () => {
    // Prepare: v1.2.0 deployed again from a rebuilt image (same tag, another digest)
    const records = [
      ...HISTORY,
      ...REGIONS.map((region, i) =>
        deployed('v1.2.0', region, NOW - 3_600_000 + i, {
          digest: `sha256:${'f'.repeat(64)}`,
          execution: 'release-orders-api-v1.2.0-rebuilt',
        }),
      ),
    ];

    // Act
    const planned = await plan({}, records);

    // Assess
    expect(planned.promotion.version).toBe('v1.1.0');
  });

  it('when the first region runs nothing, going back to a named release plans it for every region', async () => {
    // Prepare
    const records = HISTORY.filter((r) => r.region !== 'eu-west-1');

    // Act
    const planned = await plan({ to: 'v1.1.0' }, records);

    // Assess
    expect(planned.promotion.version).toBe('v1.1.0');
    expect(planned.current.map((c) => c.version)).toEqual([null, 'v1.2.0', 'v1.2.0']);
  });

  it('when a recorded version is named with --to elsewhere, its image is known', async () => {
    // Prepare: v1.3.0 deployed since, so v1.2.1 is an earlier release
    const records = [
      ...SAME_IMAGE,
      ...REGIONS.map((region, i) => deployed('v1.3.0', region, NOW - 60_000 + i)),
    ];

    // Act
    const planned = await plan({ to: 'v1.2.1' }, records);

    // Assess
    expect(planned.promotion).toMatchObject({
      version: 'v1.2.1',
      image: { digest: HISTORY.find((r) => r.version === 'v1.2.0')!.digest },
    });
  });
});
