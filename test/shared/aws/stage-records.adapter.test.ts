import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { DynamoStageRecordStore } from '../../../shared/aws/stage-records.adapter';
import { ManualClock } from '../../../shared/clock';
import type { StageKey } from '../../../shared/ports/deployment';
import { startDynalite, type LocalDynamo } from './dynalite';

const TABLE = 'pipeline-test';
const KEY: StageKey = { executionName: 'api-1-2-3', environment: 'production', region: 'eu-west-1' };
const TD = (revision: number): string => `arn:aws:ecs:eu-west-1:123456789012:task-definition/api:${revision}`;

describe('DynamoStageRecordStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let store: DynamoStageRecordStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
    store = new DynamoStageRecordStore({ tableName: TABLE, client: dynamo.client, clock });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when nothing is stored for the stage, it stores the revision and returns it', async () => {
    // Prepare
    const key = { ...KEY, executionName: 'fresh' };

    // Act
    const remembered = await store.rememberPreviousRevision(key, TD(7));

    // Assess
    expect(remembered).toBe(TD(7));
    expect(await store.previousRevision(key)).toBe(TD(7));
  });

  it('when a revision is stored already, it keeps the first and returns it', async () => {
    // Prepare
    const key = { ...KEY, executionName: 'retried' };
    await store.rememberPreviousRevision(key, TD(7));

    // Act
    const remembered = await store.rememberPreviousRevision(key, TD(8));

    // Assess
    expect(remembered).toBe(TD(7));
    expect(await store.previousRevision(key)).toBe(TD(7));
  });

  it('when 20 calls race for the same stage, one value wins and every caller gets it', async () => {
    // Prepare
    const key = { ...KEY, executionName: 'racing' };
    const candidates = Array.from({ length: 20 }, (_, i) => TD(100 + i));

    // Act
    const results = await Promise.all(candidates.map((arn) => store.rememberPreviousRevision(key, arn)));

    // Assess
    const winners = new Set(results);
    expect(winners.size).toBe(1);
    expect(candidates).toContain(results[0]);
    expect(await store.previousRevision(key)).toBe(results[0]);
  });

  it('when stages differ by environment or region, it keeps them apart', async () => {
    // Prepare
    const staging = { ...KEY, executionName: 'waves', environment: 'staging' };
    const usEast = { ...KEY, executionName: 'waves', region: 'us-east-1' };

    // Act
    await store.rememberPreviousRevision(staging, TD(1));
    await store.rememberPreviousRevision(usEast, TD(2));

    // Assess
    expect(await store.previousRevision(staging)).toBe(TD(1));
    expect(await store.previousRevision(usEast)).toBe(TD(2));
  });

  it('when nothing was stored, previousRevision returns undefined', async () => {
    // Act
    const stored = await store.previousRevision({ ...KEY, executionName: 'never' });

    // Assess
    expect(stored).toBeUndefined();
  });

  it('when it stores a record, it keys it by execution and stage and sets the TTL 90 days ahead in seconds', async () => {
    // Prepare
    const key = { ...KEY, executionName: 'ttl' };

    // Act
    await store.rememberPreviousRevision(key, TD(7));

    // Assess
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'STAGE#ttl' }, sk: { S: 'production#eu-west-1' } },
      }),
    );
    expect(Item?.previousTaskDefinitionArn).toEqual({ S: TD(7) });
    expect(Item?.expiresAt).toEqual({ N: String(clock.now() / 1000 + 90 * 24 * 60 * 60) });
  });
});
