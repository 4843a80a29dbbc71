import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoMigrationStore } from '../../../shared/aws/migration-store.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { MigrationRecord } from '../../../shared/ports/migrations';
import { sdkError } from '../../helpers/sdk-errors';

/** Error mapping of the migration store; its behaviour on dynalite is in test/shared/use-cases/run-migrations.test.ts. */
describe('DynamoMigrationStore (mocked SDK)', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const store = new DynamoMigrationStore({ tableName: 'pipeline', client });
  const record: MigrationRecord = {
    service: 'orders-api',
    environment: 'staging',
    region: 'eu-west-1',
    digest: `sha256:${'1'.repeat(64)}`,
    version: 'v1.4.0',
    executionName: 'release-orders-api-v1.4.0',
    kind: 'migrate',
    outcome: 'succeeded',
    taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/staging/1',
    startedAt: Date.UTC(2026, 10, 30, 9, 0),
    endedAt: Date.UTC(2026, 10, 30, 9, 1),
    exitCode: 0,
    output: ['Done'],
  };

  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('when DynamoDB throttles, every call throws AwsTransientError', async () => {
    // Prepare
    const throttled = () =>
      sdkError(ProvisionedThroughputExceededException, { message: 'Throughput exceeded' });
    documents.on(PutCommand).rejects(throttled());
    documents.on(GetCommand).rejects(throttled());
    documents.on(QueryCommand).rejects(throttled());
    documents.on(DeleteCommand).rejects(throttled());
    documents.on(UpdateCommand).rejects(throttled());

    // Act
    const results = await Promise.allSettled([
      store.record(record),
      store.succeeded(record),
      store.history('orders-api'),
      store.waiter('pipeline-migrations/x'),
      store.waiters(),
      store.removeWaiter('pipeline-migrations/x', 'token'),
      store.setWaiterTask('pipeline-migrations/x', 'arn:aws:ecs:eu-west-1:123456789012:task/staging/1'),
    ]);

    // Assess
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AwsTransientError);
    }
  });

  it('when the digest migrated there before, the record keeps the first success and does not throw', async () => {
    // Prepare
    documents
      .on(PutCommand)
      .resolvesOnce({})
      .rejectsOnce(sdkError(ConditionalCheckFailedException, { message: 'exists' }));

    // Act
    await store.record(record);

    // Assess
    const puts = documents.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Item?.pk)).toEqual(['MIGRATION#orders-api', 'MIGRATED#orders-api']);
    expect(puts[1]!.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it('when a retried step stored a newer token, removing the older waiter leaves it', async () => {
    // Prepare
    documents
      .on(DeleteCommand)
      .rejects(sdkError(ConditionalCheckFailedException, { message: 'token differs' }));

    // Act
    const removal = store.removeWaiter('pipeline-migrations/x', 'old-token');

    // Assess
    await expect(removal).resolves.toBeUndefined();
  });

  it('when the task is set on a waiter, it is one UpdateItem of taskArn, only while the waiter exists', async () => {
    // Prepare
    documents.on(UpdateCommand).resolves({});

    // Act
    const set = await store.setWaiterTask(
      'pipeline-migrations/x',
      'arn:aws:ecs:eu-west-1:123456789012:task/staging/1',
    );

    // Assess
    expect(set).toBe(true);
    expect(documents).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'MIGRATION_WAITER', sk: 'pipeline-migrations/x' },
      UpdateExpression: 'SET #a0 = :a0',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk', '#a0': 'taskArn' },
      ExpressionAttributeValues: { ':a0': 'arn:aws:ecs:eu-west-1:123456789012:task/staging/1' },
    });
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('when the waiter is gone, setting its task returns false and does not throw', async () => {
    // Prepare
    documents.on(UpdateCommand).rejects(sdkError(ConditionalCheckFailedException, { message: 'gone' }));

    // Act
    const set = await store.setWaiterTask(
      'pipeline-migrations/x',
      'arn:aws:ecs:eu-west-1:123456789012:task/staging/1',
    );

    // Assess
    expect(set).toBe(false);
  });
});
