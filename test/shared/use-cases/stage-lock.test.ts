import { DynamoDeploymentLocks } from '../../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../../shared/aws/deployment-records.adapter';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { ManualClock } from '../../../shared/clock';
import { StageLockedError } from '../../../shared/domain/errors';
import type { DeploymentOrder, EcsDeploymentView } from '../../../shared/ports/deployment';
import {
  acquireStageLock,
  isNewer,
  lockKeyOf,
  releaseStageLock,
  type LockOutcome,
} from '../../../shared/use-cases/stage-lock';
import type { StageRun } from '../../../shared/domain/stage-run.schema';
import { imageUri } from '../../../shared/domain/image';
import { stageRecord } from '../../../shared/use-cases/deployment-records';
import { overriding, rejectionOf } from '../../support/fakes';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { ppeStageRun } from '../../support/fixtures';
import { startDynalite, type LocalDynamo } from '../aws/dynalite';

/**
 * The stage lock's rules, each with its exact outcome: the use case (shared/use-cases/stage-lock.ts) over
 * the real DynamoDB adapter (its conditional writes are half of the rules) on dynalite.
 */
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 1, 12);

const TABLE = 'stage-lock';
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
  await createPipelineTable(dynamo.client, TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

/** Each test deploys its own service, so it starts with a lock and records nobody touched. */
let service = 'orders-api';
let services = 0;

async function freshStores() {
  const tableName = TABLE;
  service = `orders-api-${++services}`;
  return {
    locks: new DynamoDeploymentLocks({ client: dynamo.client, tableName }),
    records: new DynamoDeploymentRecords({ client: dynamo.client, tableName }),
    // Waiters ask two hours before the stage under test (see prepare)
    clock: new ManualClock(T0 - 2 * HOUR),
    // Nothing here records a deploy, so the lock never needs to ask ECS what runs.
    platform: new LocalContainerPlatform({ clock: new ManualClock() }),
  };
}

type Who = 'push1' | 'push2' | 'push3' | 'tag120' | 'tag130' | 'tag130rc' | 'tag110' | 'rollback110';

/** Pushes at 10:00, 10:05 and 10:10; tags v1.1.0, v1.2.0, v1.3.0-rc.1, v1.3.0; a deliberate downgrade. */
function run(who: Who): StageRun {
  const push = (minute: string, commit: string): StageRun =>
    ppeStageRun({
      service,
      executionName: `push-orders-api-${commit}`,
      version: `sha-${commit}`,
      commit,
      trigger: { kind: 'push', at: `2026-06-01T10:${minute}:00.000Z` },
    });
  const tag = (version: string, extra: Partial<StageRun['trigger']> = {}): StageRun =>
    ppeStageRun({
      service,
      executionName: `release-orders-api-${version.replace(/\./g, '_')}${extra.allowDowngrade ? '-rb' : ''}`,
      version,
      trigger: { kind: 'tag', at: '2026-06-01T09:00:00.000Z', ...extra },
    });
  switch (who) {
    case 'push1':
      return push('00', 'aaaaaaaaaaaa');
    case 'push2':
      return push('05', 'bbbbbbbbbbbb');
    case 'push3':
      return push('10', 'cccccccccccc');
    case 'tag110':
      return tag('v1.1.0');
    case 'tag120':
      return tag('v1.2.0');
    case 'tag130rc':
      return tag('v1.3.0-rc.1');
    case 'tag130':
      return tag('v1.3.0');
    case 'rollback110':
      return tag('v1.1.0', { allowDowngrade: true, rollbackBy: 'ops@example.com' });
  }
}

/** What the lock holds before the stage under test asks for it. */
interface LockSetup {
  /** Deployed under the lock before (then released with `deployed`). */
  deployed?: Who;
  /** Holds the lock now. */
  holder?: Who;
  /** The holder's lease ran out this long ago. */
  leaseExpiredMsAgo?: number;
  /** Asked while the holder held the lock, and was turned away (so it noted itself as waiting). */
  waiters?: Who[];
}

async function prepare(setup: LockSetup) {
  const stores = await freshStores();
  if (setup.deployed) {
    await acquireStageLock(run(setup.deployed), stores);
    await releaseStageLock(run(setup.deployed), true, stores);
  }
  if (setup.holder) {
    const holder = run(setup.holder);
    const key = lockKeyOf(holder);
    const leaseUntil = setup.leaseExpiredMsAgo === undefined ? T0 + 4 * HOUR : T0 - setup.leaseExpiredMsAgo;
    const taken = await stores.locks.acquire(key, holder.executionName, leaseUntil, T0 - 5 * HOUR);
    expect(taken.acquired).toBe(true);
  }
  for (const waiter of setup.waiters ?? [])
    await expect(acquireStageLock(run(waiter), stores)).rejects.toBeInstanceOf(StageLockedError);
  await stores.clock.advance(2 * HOUR);
  return stores;
}

async function outcomeOf(who: Who, stores: Awaited<ReturnType<typeof freshStores>>): Promise<string> {
  try {
    const outcome: LockOutcome = await acquireStageLock(run(who), stores);
    return outcome.outcome === 'superseded' ? `superseded by ${outcome.by.version}` : outcome.outcome;
  } catch (error) {
    if (error instanceof StageLockedError) return 'StageLocked';
    throw error;
  }
}

describe('stage lock: acquireStageLock', () => {
  const cases: [string, LockSetup, Who, string][] = [
    ['a free lock that never deployed', {}, 'push2', 'acquired'],
    ['a free lock after an older push', { deployed: 'push1' }, 'push2', 'acquired'],
    ['a free lock after a newer push', { deployed: 'push3' }, 'push2', 'superseded by sha-cccccccccccc'],
    ['a free lock after the same execution deployed', { deployed: 'push2' }, 'push2', 'acquired'],
    ['a free lock after a newer tag, for a push', { deployed: 'tag130' }, 'push1', 'acquired'],
    ['a free lock after a newer push, for a tag', { deployed: 'push3' }, 'tag110', 'acquired'],
    ['a free lock after an older tag', { deployed: 'tag110' }, 'tag120', 'acquired'],
    ['a free lock after a newer tag', { deployed: 'tag130' }, 'tag120', 'superseded by v1.3.0'],
    [
      'a free lock after a pre-release of a newer version',
      { deployed: 'tag130rc' },
      'tag120',
      'superseded by v1.3.0-rc.1',
    ],
    ['a free lock after the pre-release of this version', { deployed: 'tag130rc' }, 'tag130', 'acquired'],
    [
      'a free lock after a newer tag, for a deliberate downgrade',
      { deployed: 'tag130' },
      'rollback110',
      'acquired',
    ],
    ['a lock held by another execution', { holder: 'push1' }, 'push2', 'StageLocked'],
    ['a lock held by this execution (a retried step)', { holder: 'push2' }, 'push2', 'acquired'],
    ['a lock whose holder’s lease ran out', { holder: 'push1', leaseExpiredMsAgo: 1 }, 'push2', 'acquired'],
    [
      'a lock whose holder’s lease ends right now',
      { holder: 'push1', leaseExpiredMsAgo: 0 },
      'push2',
      'StageLocked',
    ],
    [
      'a held lock with an older push waiting',
      { holder: 'push1', waiters: ['push2'] },
      'push3',
      'StageLocked',
    ],
    [
      'a held lock with a newer push waiting',
      { holder: 'push1', waiters: ['push3'] },
      'push2',
      'superseded by sha-cccccccccccc',
    ],
    [
      'a held lock with a newer tag waiting, for a push',
      { holder: 'tag110', waiters: ['tag130'] },
      'push1',
      'StageLocked',
    ],
    [
      'a held lock with a newer tag waiting, for a deliberate downgrade',
      { holder: 'push1', waiters: ['tag130'] },
      'rollback110',
      'StageLocked',
    ],
    [
      'a freed lock with a newer push noted as waiting',
      { holder: 'push1', waiters: ['push3'], leaseExpiredMsAgo: 1 },
      'push2',
      'superseded by sha-cccccccccccc',
    ],
    [
      'a freed lock with an older push noted as waiting',
      { holder: 'push1', waiters: ['push2'], leaseExpiredMsAgo: 1 },
      'push3',
      'acquired',
    ],
    [
      'a freed lock with a newer tag noted as waiting, for a push',
      { holder: 'push1', waiters: ['tag130'], leaseExpiredMsAgo: 1 },
      'push2',
      'acquired',
    ],
    // A turned-away stage that is not newer than the waiter noted leaves it noted: a push (another kind) or
    // a deliberate downgrade does not erase a newer tag waiting, which still supersedes an older tag.
    [
      'a freed lock with a newer tag noted, then a push turned away',
      { holder: 'push1', waiters: ['tag130', 'push2'], leaseExpiredMsAgo: 1 },
      'tag120',
      'superseded by v1.3.0',
    ],
    [
      'a freed lock with a newer tag noted, then a deliberate downgrade turned away',
      { holder: 'push1', waiters: ['tag130', 'rollback110'], leaseExpiredMsAgo: 1 },
      'tag120',
      'superseded by v1.3.0',
    ],
  ];
  it.each(cases.map(([what, setup, who, expected]) => [who, what, expected, setup] as const))(
    'when %s asks for %s, it is %s',
    async (who, _what, expected, setup) => {
      // Prepare
      const stores = await prepare(setup);

      // Act
      const outcome = await outcomeOf(who, stores);

      // Assess
      expect(outcome).toBe(expected);
    },
  );

  it('when a stage is superseded, it writes a superseded record naming the newer version and frees the lock', async () => {
    // Prepare
    const stores = await prepare({ deployed: 'push3' });

    // Act
    await acquireStageLock(run('push2'), stores);

    // Assess
    const [record] = await stores.records.history(service);
    expect(record).toMatchObject({
      outcome: 'superseded',
      execution: run('push2').executionName,
      version: 'sha-bbbbbbbbbbbb',
      detail: 'sha-cccccccccccc (push-orders-api-cccccccccccc) is newer',
    });
    expect(await outcomeOf('push1', stores)).toBe('superseded by sha-cccccccccccc');
    expect(await outcomeOf('tag110', stores)).toBe('acquired'); // so the lock was free
  });

  it('when the lock is taken, a turned-away stage notes itself as waiting only if it is newer than the one noted', async () => {
    // Prepare
    const stores = await prepare({ holder: 'push1' });
    const key = lockKeyOf(run('push1'));

    // Act: push3 waits first, then push2 (older) asks
    const third = await rejectionOf(acquireStageLock(run('push3'), stores));
    const second = await outcomeOf('push2', stores);
    await stores.locks.release(key, run('push1').executionName);
    const taken = await stores.locks.acquire(key, 'someone', T0 + HOUR, T0);

    // Assess
    expect(third).toBeInstanceOf(StageLockedError);
    expect(third.message).toBe(
      `${service} ppe is being deployed by ${run('push1').executionName} since ` +
        `${new Date(T0 - 5 * HOUR).toISOString()}; this stage waits its turn`,
    );
    expect(second).toBe('superseded by sha-cccccccccccc');
    expect(taken).toEqual({
      acquired: true,
      waiting: {
        kind: 'push',
        version: 'sha-cccccccccccc',
        at: '2026-06-01T10:10:00.000Z',
        owner: run('push3').executionName,
      },
    });
  });

  it('when a stage is acquired, the lease covers the slowest stage: approval, two deployments, the bake and an hour', async () => {
    // Prepare
    const stores = await prepare({});
    const stage = run('push2');
    const leaseMs =
      ((stage.stage.approval?.timeoutSeconds ?? 0) +
        2 * stage.stage.deploymentTimeoutSeconds +
        stage.stage.bakeSeconds +
        3600) *
      1000;

    // Act
    await acquireStageLock(stage, stores);

    // Assess: one millisecond before the lease ends the lock is still held; at its end it is free
    const key = lockKeyOf(stage);
    expect((await stores.locks.acquire(key, 'other', T0 + 2 * leaseMs, T0 + leaseMs - 1)).acquired).toBe(
      false,
    );
    expect((await stores.locks.acquire(key, 'other', T0 + 2 * leaseMs, T0 + leaseMs + 1)).acquired).toBe(
      true,
    );
  });
});

describe('stage lock: releaseStageLock', () => {
  const releases: [string, boolean, Who | undefined, string][] = [
    ['deployed, by the holder', true, undefined, 'superseded by sha-bbbbbbbbbbbb'],
    ['not deployed (rolled back), by the holder', false, undefined, 'acquired'],
    ['deployed, by an execution that no longer holds it', true, 'push3', 'StageLocked'],
  ];
  it.each(releases.map(([what, deployed, thief, expected]) => [what, expected, deployed, thief] as const))(
    'when the lock is released %s, an older push asking next is %s',
    async (_what, expected, deployed, thief) => {
      // Prepare
      const stores = await prepare({});
      await acquireStageLock(run('push2'), stores);
      if (thief) {
        const key = lockKeyOf(run('push2'));
        // push2's lease runs out and push3 takes the lock
        expect(
          (await stores.locks.acquire(key, run(thief).executionName, T0 + 99 * HOUR, T0 + 98 * HOUR))
            .acquired,
        ).toBe(true);
      }

      // Act
      const result = await releaseStageLock(run('push2'), deployed, stores);

      // Assess
      expect(result).toEqual({ released: true });
      expect(await outcomeOf('push1', stores)).toBe(expected);
    },
  );
});

describe('stage lock: isNewer (which deployment order wins)', () => {
  const order = (
    kind: 'push' | 'tag',
    version: string,
    at = '2026-06-01T10:00:00.000Z',
  ): DeploymentOrder => ({
    kind,
    version,
    at,
    owner: `${kind}-${version}`,
  });
  it.each<[string, DeploymentOrder, DeploymentOrder, boolean]>([
    [
      'a later push over an earlier one',
      order('push', 'sha-b', '2026-06-01T10:05:00.000Z'),
      order('push', 'sha-a'),
      true,
    ],
    [
      'an earlier push over a later one',
      order('push', 'sha-a'),
      order('push', 'sha-b', '2026-06-01T10:05:00.000Z'),
      false,
    ],
    ['a push over one pushed at the same moment', order('push', 'sha-b'), order('push', 'sha-a'), false],
    [
      'a push one millisecond later',
      order('push', 'sha-b', '2026-06-01T10:00:00.001Z'),
      order('push', 'sha-a'),
      true,
    ],
    ['a higher tag', order('tag', 'v1.2.0'), order('tag', 'v1.1.9'), true],
    ['a lower tag', order('tag', 'v1.1.9'), order('tag', 'v1.2.0'), false],
    ['the same tag', order('tag', 'v1.2.0'), order('tag', 'v1.2.0'), false],
    ['a release over its pre-release', order('tag', 'v1.2.0'), order('tag', 'v1.2.0-rc.1'), true],
    ['a pre-release over its release', order('tag', 'v1.2.0-rc.1'), order('tag', 'v1.2.0'), false],
    [
      'a tag pushed later over a push (kinds never compare)',
      order('tag', 'v9.0.0', '2026-06-02T00:00:00.000Z'),
      order('push', 'sha-a'),
      false,
    ],
    [
      'a push pushed later over a tag (kinds never compare)',
      order('push', 'sha-a', '2026-06-02T00:00:00.000Z'),
      order('tag', 'v1.0.0'),
      false,
    ],
    ['a tag that is not a version', order('tag', 'release-2'), order('tag', 'v1.0.0'), false],
    ['a tag over one that is not a version', order('tag', 'v1.0.0'), order('tag', 'v1.2'), false],
  ])('%s', (_case, a, b, expected) => {
    expect(isNewer(a, b)).toBe(expected);
  });
});

describe('stage lock: the digest already runs there (two tags on one commit)', () => {
  /** v1.2.0 deployed the fixture's image (its record written, its lock released); ECS serves `served`. */
  async function deployedV120(served: 'the same image' | 'another image') {
    const stores = await freshStores();
    const deployed = run('tag120');
    const image =
      served === 'the same image' ? imageUri(deployed.image) : `orders-api@sha256:${'e'.repeat(64)}`;
    stores.platform.seedService(deployed.stage, { name: deployed.stage.container, image });
    await acquireStageLock(deployed, stores);
    await stores.records.put(stageRecord(deployed, 'deployed', T0 - 3 * HOUR));
    await releaseStageLock(deployed, true, stores);
    return stores;
  }

  it('when the records and ECS agree that its image runs, v1.3.0 records itself there, frees the lock as deployed, and v1.2.0 is superseded after it', async () => {
    // Prepare
    const stores = await deployedV120('the same image');

    // Act
    const outcome = await acquireStageLock(run('tag130'), stores);

    // Assess
    expect(outcome).toEqual({
      outcome: 'already-running',
      deployedAs: 'v1.2.0',
      since: new Date(T0 - 3 * HOUR).toISOString(),
    });
    const [running] = await stores.records.running(service);
    expect(running).toMatchObject({ version: 'v1.3.0', kind: 'record', outcome: 'already running' });
    expect(stores.platform.calls.filter((c) => c.method === 'updateService')).toEqual([]);
    expect(await outcomeOf('tag120', stores)).toBe('superseded by v1.3.0');
  });

  it('when ECS runs another image than the records say (changed by hand), it deploys as usual', async () => {
    // Prepare
    const stores = await deployedV120('another image');

    // Act
    const outcome = await acquireStageLock(run('tag130'), stores);

    // Assess
    expect(outcome).toEqual({ outcome: 'acquired', at: stores.clock.now() });
    expect((await stores.records.running(service))[0]).toMatchObject({ version: 'v1.2.0' });
  });

  it('when an operator rollback sends an image the records say runs, it deploys without asking ECS', async () => {
    // Prepare
    const stores = await deployedV120('the same image');
    const calls = stores.platform.calls.length;

    // Act
    const outcome = await acquireStageLock(run('rollback110'), stores);

    // Assess
    expect(outcome).toEqual({ outcome: 'acquired', at: stores.clock.now() });
    expect(stores.platform.calls.slice(calls)).toEqual([]);
  });

  it('when its image already runs, the record it writes keeps the task definition the records say runs', async () => {
    // Prepare
    const stores = await deployedV120('the same image');
    const revision = 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:7';
    await stores.records.put({
      ...stageRecord(run('tag120'), 'deployed', T0 - 3 * HOUR),
      taskDefinitionArn: revision,
    });

    // Act
    await acquireStageLock(run('tag130'), stores);

    // Assess
    const [running] = await stores.records.running(service);
    expect(running).toMatchObject({
      version: 'v1.3.0',
      outcome: 'already running',
      taskDefinitionArn: revision,
    });
  });

  const primary = (rolloutState: EcsDeploymentView['rolloutState']): EcsDeploymentView => ({
    id: 'ecs-svc/2',
    taskDefinitionArn: 'td',
    status: 'PRIMARY',
    rolloutState,
  });
  const active = (rolloutState: EcsDeploymentView['rolloutState']): EcsDeploymentView => ({
    ...primary(rolloutState),
    id: 'ecs-svc/1',
    status: 'ACTIVE',
  });
  const ecsCases: [
    string,
    EcsDeploymentView[] | undefined,
    'a sidecar first' | 'no such container' | undefined,
    string,
  ][] = [
    [
      'its primary deployment completed, nothing else under way',
      [primary('COMPLETED')],
      undefined,
      'already-running',
    ],
    ['its primary deployment still in progress', [primary('IN_PROGRESS')], undefined, 'acquired'],
    [
      'its primary deployment failed after a completed one',
      [active('COMPLETED'), primary('FAILED')],
      undefined,
      'acquired',
    ],
    [
      'an older deployment still in progress',
      [active('IN_PROGRESS'), primary('COMPLETED')],
      undefined,
      'acquired',
    ],
    ['no deployment listed at all', [], undefined, 'acquired'],
    [
      'the image in the stage container, a sidecar listed first',
      undefined,
      'a sidecar first',
      'already-running',
    ],
    ['the task definition without the stage container', undefined, 'no such container', 'acquired'],
  ];
  it.each(
    ecsCases.map(
      ([what, deployments, containers, expected]) => [what, expected, deployments, containers] as const,
    ),
  )(
    'when the records say its image runs and ECS shows %s, it is %s',
    async (_what, expected, deployments, containers) => {
      // Prepare
      const stores = await deployedV120('the same image');
      const real = stores.platform;
      const platform = overriding(real, {
        describeService: async (target) => {
          const service = await real.describeService(target);
          return deployments ? { ...service, deployments } : service;
        },
        describeTaskDefinition: async (region, arn) => {
          const definition = await real.describeTaskDefinition(region, arn);
          const [app] = definition.containers;
          const sidecar = { name: 'log-router', image: 'fluent-bit:3', environment: {} };
          if (containers === 'a sidecar first')
            return { ...definition, containers: [sidecar, ...definition.containers] };
          if (containers === 'no such container')
            return { ...definition, containers: [{ ...app!, name: 'web' }] };
          return definition;
        },
      });

      // Act
      const outcome = await acquireStageLock(run('tag130'), { ...stores, platform });

      // Assess
      expect(outcome.outcome).toBe(expected);
    },
  );

  it('when the tag event asked for a redeploy, it deploys without asking ECS', async () => {
    // Prepare
    const stores = await deployedV120('the same image');
    const calls = stores.platform.calls.length;

    // Act
    const outcome = await acquireStageLock(
      { ...run('tag130'), trigger: { ...run('tag130').trigger, redeploy: true } },
      stores,
    );

    // Assess
    expect(outcome).toEqual({ outcome: 'acquired', at: stores.clock.now() });
    expect(stores.platform.calls.slice(calls)).toEqual([]);
  });
});
