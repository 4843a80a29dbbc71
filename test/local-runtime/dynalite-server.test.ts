/**
 * The local DynamoDB (local-runtime/dynalite-server.ts): closing it while writes are in flight. Closing
 * used to destroy the client and close LevelDB under requests still under way, so the writes failed
 * (sometimes half done: "Database is closed" from dynalite's index update) and the local stack's close
 * raced whatever was still writing. Now close() lets the calls already made finish first.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_TABLE_NAME, startLocalDynamo, type LocalDynamo } from '../../local-runtime/dynalite-server';

const WRITES = 25;

function put(dynamo: LocalDynamo, i: number) {
  return dynamo.client.send(
    new PutItemCommand({
      TableName: LOCAL_TABLE_NAME,
      Item: { pk: { S: 'in-flight' }, sk: { S: `item-${i}` }, n: { N: String(i) } },
    }),
  );
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-dynamo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('closing the local DynamoDB', () => {
  it('when writes are in flight, close waits for them: every write succeeds and none fails with the database closed', async () => {
    // Prepare
    const dynamo = await startLocalDynamo();
    const writes = Array.from({ length: WRITES }, (_, i) => put(dynamo, i));

    // Act
    await dynamo.close();
    const outcomes = await Promise.allSettled(writes);

    // Assess
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(outcomes).toHaveLength(WRITES);
  });

  it('with a data directory, the writes in flight at close are all on disk at the next start', async () => {
    // Prepare
    const first = await startLocalDynamo({ dynamoPath: dir });
    const writes = Array.from({ length: WRITES }, (_, i) => put(first, i));

    // Act
    await first.close();
    await Promise.allSettled(writes);
    const second = await startLocalDynamo({ dynamoPath: dir });
    const found = await Promise.all(
      Array.from({ length: WRITES }, (_, i) =>
        second.client.send(
          new GetItemCommand({
            TableName: LOCAL_TABLE_NAME,
            Key: { pk: { S: 'in-flight' }, sk: { S: `item-${i}` } },
          }),
        ),
      ),
    );
    await second.close();

    // Assess
    expect(found.map((r) => r.Item?.n?.N)).toEqual(Array.from({ length: WRITES }, (_, i) => String(i)));
  });
});
