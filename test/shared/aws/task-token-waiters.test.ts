import { startLocalDynamo, type LocalDynamo } from '../../../local-runtime/dynalite-server';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import {
  getWaiter,
  listWaiters,
  putWaiter,
  removeWaiter,
  takeWaiter,
  taskTokenWaiters,
  updateWaiter,
  type TaskTokenWaiters,
} from '../../../shared/aws/task-token-waiters';

/**
 * The task-token waiters every waiting store is a typed use of (deployment waiters, bake watches, migration
 * waiters), with a codec of its own here, on dynalite. The stores' own tests keep their item shapes.
 */
interface Parked {
  id: string;
  taskToken: string;
  note?: string;
  expiresAt: number;
}

let dynamo: LocalDynamo;
let waiters: TaskTokenWaiters<Parked, string>;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await createPipelineTable(dynamo.client, 'waiters');
  waiters = taskTokenWaiters(
    { client: dynamo.client, tableName: 'waiters', pageSize: 2 },
    {
      partition: 'PARKED',
      sortKey: (id) => id,
      toItem: (w) => ({
        id: w.id,
        taskToken: w.taskToken,
        ...(w.note && { note: w.note }),
        expiresAtMs: w.expiresAt,
      }),
      fromItem: (item) => ({
        id: String(item.id),
        taskToken: String(item.taskToken),
        ...(typeof item.note === 'string' && { note: item.note }),
        expiresAt: Number(item.expiresAtMs),
      }),
      deleteAfter: (w) => w.expiresAt,
      describe: (id) => `the parked step ${id}`,
      plural: 'the parked steps',
    },
  );
}, 30_000);
afterAll(() => dynamo?.close());

describe('task-token waiters', () => {
  it('when steps park, retry, settle and race, each waiter is put, replaced, updated, taken and removed once', async () => {
    // Prepare
    const expiresAt = Date.UTC(2026, 10, 30, 10, 0);
    for (const id of ['a', 'b', 'c']) await putWaiter(waiters, id, { id, taskToken: `${id}-1`, expiresAt });

    // Act
    await putWaiter(waiters, 'a', { id: 'a', taskToken: 'a-2', expiresAt }); // a retried step
    await removeWaiter(waiters, 'a', 'a-1'); // the older attempt ends: the retry's waiter stays
    const noted = await updateWaiter(waiters, 'b', { note: 'task 1' });
    const takers = await Promise.all(Array.from({ length: 10 }, () => takeWaiter(waiters, 'c')));
    const revived = await updateWaiter(waiters, 'c', { note: 'too late' });
    const listed = await listWaiters(waiters);

    // Assess
    expect(await getWaiter(waiters, 'a')).toEqual({ id: 'a', taskToken: 'a-2', expiresAt });
    expect(noted).toBe(true);
    expect(await getWaiter(waiters, 'b')).toEqual({ id: 'b', taskToken: 'b-1', note: 'task 1', expiresAt });
    expect(takers.filter((t) => t !== undefined)).toEqual([{ id: 'c', taskToken: 'c-1', expiresAt }]);
    expect(revived).toBe(false);
    expect(await getWaiter(waiters, 'c')).toBeUndefined();
    expect(listed.map((w) => w.id).sort()).toEqual(['a', 'b']);
  });
});
