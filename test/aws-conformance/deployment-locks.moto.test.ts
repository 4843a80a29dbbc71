import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import type { DeploymentOrder, LockKey } from '../../shared/ports/deployment';
import { motoPipelineTable } from '../support/pipeline-table-template';

/**
 * The deployment lock's conditional updates (shared/aws/deployment-locks.adapter.ts) against moto, on the
 * table serverless.yml defines: the lease condition, the nested-path compare-and-set of the waiting order,
 * and a release that only its holder can make. test/shared/use-cases/stage-lock.test.ts runs the use case
 * over the same adapter on dynalite, racing writers included: moto does not serialise concurrent writes to
 * one item (docs/aws-conformance.md), so here each writer goes after the other.
 */
const TABLE = 'deployment-locks';
const T0 = Date.UTC(2026, 5, 1, 12);
const HOUR = 3_600_000;

let table: Awaited<ReturnType<typeof motoPipelineTable>>;
let client: DynamoDBClient;
beforeAll(async () => {
  table = await motoPipelineTable('deployment-locks.adapter', TABLE);
  client = table.client;
}, 90_000);
afterAll(() => table?.stop());

/** Each test locks its own service, so it starts from a lock nobody touched. */
let services = 0;
function freshLock(): { locks: DynamoDeploymentLocks; key: LockKey } {
  return {
    locks: new DynamoDeploymentLocks({ tableName: TABLE, client }),
    key: { service: `orders-api-${++services}`, environment: 'production' },
  };
}

const order = (version: string, owner: string): DeploymentOrder => ({
  kind: 'tag',
  version,
  at: '2026-06-01T09:00:00.000Z',
  owner,
});

describe('deployment locks against moto (DynamoDB UpdateItem, GetItem)', () => {
  it('when the lock is free, the first execution takes it and a second is told who holds it since when', async () => {
    // Prepare
    const { locks, key } = freshLock();

    // Act
    const first = await locks.acquire(key, 'release-v1', T0 + HOUR, T0);
    const second = await locks.acquire(key, 'release-v2', T0 + HOUR, T0 + 1000);

    // Assess
    expect(first).toEqual({ acquired: true });
    expect(second).toEqual({ acquired: false, holder: 'release-v1', since: T0 });
  });

  it('when the holder asks again (a retried step), it keeps the lock and the time it took it', async () => {
    // Prepare
    const { locks, key } = freshLock();
    await locks.acquire(key, 'release-v1', T0 + HOUR, T0);

    // Act
    const again = await locks.acquire(key, 'release-v1', T0 + 2 * HOUR, T0 + 1000);
    const other = await locks.acquire(key, 'release-v2', T0 + HOUR, T0 + HOUR + 1);

    // Assess
    expect(again).toEqual({ acquired: true });
    expect(other).toEqual({ acquired: false, holder: 'release-v1', since: T0 });
  });

  it('when the lease has run out, another execution takes the lock over', async () => {
    // Prepare
    const { locks, key } = freshLock();
    await locks.acquire(key, 'release-v1', T0 + HOUR, T0);

    // Act
    const takeover = await locks.acquire(key, 'release-v2', T0 + 3 * HOUR, T0 + HOUR + 1);
    const former = await locks.acquire(key, 'release-v1', T0 + 4 * HOUR, T0 + HOUR + 2);

    // Assess
    expect(takeover).toEqual({ acquired: true });
    expect(former).toMatchObject({ acquired: false, holder: 'release-v2' });
  });

  it('when a waiting order is noted, only the first write or one replacing the order it saw applies', async () => {
    // Prepare
    const { locks, key } = freshLock();
    await locks.acquire(key, 'release-v1', T0 + HOUR, T0);
    const v2 = order('v1.2.0', 'release-v2');
    const v3 = order('v1.3.0', 'release-v3');

    // Act
    const noted = await locks.markWaiting(key, v2);
    const secondFirst = await locks.markWaiting(key, v3);
    const staleReplace = await locks.markWaiting(key, v3, order('v1.1.9', 'release-old'));
    const replaced = await locks.markWaiting(key, v3, v2);
    const turnedAway = await locks.acquire(key, 'release-v4', T0 + HOUR, T0 + 1000);

    // Assess
    expect([noted, secondFirst, staleReplace, replaced]).toEqual([true, false, false, true]);
    expect(turnedAway).toEqual({ acquired: false, holder: 'release-v1', since: T0, waiting: v3 });
  });

  it('when the holder releases with what it deployed, the next holder reads it as last; a stranger cannot release', async () => {
    // Prepare
    const { locks, key } = freshLock();
    await locks.acquire(key, 'release-v1', T0 + HOUR, T0);
    await locks.markWaiting(key, order('v1.3.0', 'release-v3'));

    // Act
    await locks.release(key, 'release-other', order('v9.9.9', 'release-other'));
    const stillHeld = await locks.acquire(key, 'release-v3', T0 + HOUR, T0 + 1000);
    await locks.release(key, 'release-v1', order('v1.2.0', 'release-v1'));
    await locks.release(key, 'release-v1', order('v1.2.0', 'release-v1'));
    const next = await locks.acquire(key, 'release-v3', T0 + 2 * HOUR, T0 + 2000);

    // Assess
    expect(stillHeld).toMatchObject({ acquired: false, holder: 'release-v1' });
    expect(next).toEqual({
      acquired: true,
      last: order('v1.2.0', 'release-v1'),
      waiting: order('v1.3.0', 'release-v3'),
    });
  });
});
