import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoMigrationStore } from '../../../shared/aws/migration-store.adapter';
import { createPipelineTable, pipelineDocumentClient } from '../../../shared/aws/pipeline-table';
import type { MigrationRecord, MigrationWaiter } from '../../../shared/ports/migrations';
import { startDynalite, type LocalDynamo } from './dynalite';

const DIGEST = `sha256:${'2'.repeat(64)}`;
const STARTED_AT = Date.UTC(2026, 10, 30, 9, 0);

const record: MigrationRecord = {
  service: 'orders-api',
  environment: 'production',
  region: 'eu-west-1',
  digest: DIGEST,
  version: 'v1.5.0',
  executionName: 'release-orders-api-v1.5.0',
  kind: 'migrate',
  outcome: 'succeeded',
  taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/prod/7',
  startedAt: STARTED_AT,
  endedAt: STARTED_AT + 60_000,
  exitCode: 0,
  output: ['Applied 0004_add_index'],
};

const plan: MigrationRecord = { ...record, kind: 'plan', output: ['Pending: 0004_add_index'] };

const waiter: MigrationWaiter = {
  startedBy: 'pipeline-migrations/abc',
  kind: 'migrate',
  taskToken: 'token-1',
  executionName: record.executionName,
  service: record.service,
  environment: record.environment,
  region: record.region,
  cluster: 'prod',
  ecsService: 'orders-api',
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:12',
  container: 'app',
  digest: DIGEST,
  version: record.version,
  startedAt: STARTED_AT,
  expiresAt: STARTED_AT + 3_600_000,
};

/**
 * The keys the migration store's items lie at, spelled out: items written by an earlier release of the
 * pipeline must still read after a change to how the store builds its keys, and what it writes now must lie
 * where an earlier release would look.
 */
const KEYS = {
  waiter: { pk: 'MIGRATION_WAITER', sk: 'pipeline-migrations/abc' },
  history: {
    pk: 'MIGRATION#orders-api',
    sk: '2026-11-30T09:00:00.000Z#production#eu-west-1#migrate#' + record.taskArn,
  },
  migrated: { pk: 'MIGRATED#orders-api', sk: `production#eu-west-1#${DIGEST}` },
  plan: { pk: 'MIGRATION_PLAN#release-orders-api-v1.5.0', sk: 'production#eu-west-1' },
};

describe('DynamoMigrationStore keys (dynalite)', () => {
  let dynamo: LocalDynamo;
  let documents: DynamoDBDocumentClient;
  let tableNumber = 0;
  let tableName: string;
  let store: DynamoMigrationStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
    documents = pipelineDocumentClient(dynamo.client);
  });

  beforeEach(async () => {
    tableName = `migrations-${++tableNumber}`;
    await createPipelineTable(dynamo.client, tableName);
    store = new DynamoMigrationStore({ tableName, client: dynamo.client });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when items lie at the keys an earlier release wrote, the store reads every one of them', async () => {
    // Prepare: the items as an earlier release stored them, written without the store.
    const put = (key: Record<string, string>, item: object) =>
      documents.send(new PutCommand({ TableName: tableName, Item: { ...key, ...item } }));
    await put(KEYS.waiter, { ...waiter, expiresAtMs: waiter.expiresAt });
    await put(KEYS.history, record);
    await put(KEYS.migrated, record);
    await put(KEYS.plan, plan);

    // Act
    const read = {
      waiter: await store.waiter(waiter.startedBy),
      waiters: await store.waiters(),
      history: await store.history(record.service),
      succeeded: await store.succeeded(record),
      plan: await store.plan(record.executionName, record.environment, record.region),
    };

    // Assess
    expect(read).toEqual({
      waiter,
      waiters: [waiter],
      history: [record],
      succeeded: record,
      plan,
    });
  });

  it('when the store writes, its items lie at the keys an earlier release reads', async () => {
    // Prepare
    const get = async (key: Record<string, string>) =>
      (await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

    // Act
    await store.putWaiter(waiter);
    await store.record(record);
    await store.record(plan);

    // Assess
    expect(await get(KEYS.waiter)).toMatchObject({ taskToken: 'token-1', expiresAtMs: waiter.expiresAt });
    expect(await get(KEYS.history)).toMatchObject({ kind: 'migrate', outcome: 'succeeded' });
    expect(await get(KEYS.migrated)).toMatchObject({ kind: 'migrate', digest: DIGEST });
    expect(await get(KEYS.plan)).toMatchObject({ kind: 'plan', output: plan.output });
  });
});
