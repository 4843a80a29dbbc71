import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoBakeWatchStore } from '../../../shared/aws/bake-watches.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import { sdkError } from '../../helpers/sdk-errors';

/** Error mapping and request shapes of the bake watches; their behaviour runs on dynalite and moto in store-contracts. */
describe('DynamoBakeWatchStore (mocked SDK)', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const store = new DynamoBakeWatchStore({ tableName: 'pipeline', client });
  const key = { executionName: 'release-orders-api-v1.4.0', environment: 'prod', region: 'us-east-1' };
  const watch = {
    ...key,
    service: 'orders-api',
    taskToken: 'token',
    alarms: { names: ['orders-api-prod-5xx'], prefixes: [] },
    deployedAt: Date.UTC(2026, 10, 20, 9, 0),
    bakeStartedAt: Date.UTC(2026, 10, 20, 9, 2),
    bakeSeconds: 1800,
    expiresAt: Date.UTC(2026, 10, 20, 9, 32),
  };

  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('when DynamoDB throttles a put, a list or a remove, it throws AwsTransientError naming the bake', async () => {
    // Prepare
    const throttled = () =>
      sdkError(ProvisionedThroughputExceededException, { message: 'Throughput exceeded' });
    documents.on(PutCommand).rejects(throttled());
    documents.on(QueryCommand).rejects(throttled());
    documents.on(DeleteCommand).rejects(throttled());

    // Act
    const results = await Promise.allSettled([store.put(watch), store.list(), store.remove(key, 'token')]);

    // Assess
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AwsTransientError);
    }
    expect(String((results[0] as PromiseRejectedResult).reason.message)).toContain(
      'bake watch of release-orders-api-v1.4.0 in prod/us-east-1',
    );
  });

  it('when the watch holds another token, remove deletes nothing and is not an error', async () => {
    // Prepare
    documents.on(DeleteCommand).rejects(sdkError(ConditionalCheckFailedException));

    // Act
    await store.remove(key, 'older-token');

    // Assess
    expect(documents).toReceiveCommandWith(DeleteCommand, {
      TableName: 'pipeline',
      Key: { pk: 'BAKE_WATCH', sk: 'us-east-1#prod#release-orders-api-v1.4.0' },
      ConditionExpression: 'taskToken = :token',
      ExpressionAttributeValues: { ':token': 'older-token' },
    });
  });

  it('when a watch is put, it expires from the table a day after its bake (TTL in seconds)', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});

    // Act
    await store.put(watch);

    // Assess
    expect(documents).toReceiveCommandWith(PutCommand, {
      TableName: 'pipeline',
      Item: expect.objectContaining({
        pk: 'BAKE_WATCH',
        sk: 'us-east-1#prod#release-orders-api-v1.4.0',
        expiresAtMs: watch.expiresAt,
        expiresAt: Math.ceil((watch.expiresAt + 86_400_000) / 1000),
      }),
    });
  });
});
