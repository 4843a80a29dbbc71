import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDeploymentWaiterStore } from '../../../shared/aws/deployment-waiters.adapter';
import { DynamoStageRecordStore } from '../../../shared/aws/stage-records.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';

/** Error mapping and request shapes of the table adapters; their behaviour runs against dynalite elsewhere. */
describe('DynamoDB table adapters (mocked SDK)', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const throughput = (): ProvisionedThroughputExceededException =>
    new ProvisionedThroughputExceededException({
      $metadata: { httpStatusCode: 400 },
      message: 'Throughput exceeded',
    });

  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('when DynamoDB throttles a stage record write, it throws AwsTransientError', async () => {
    // Prepare
    documents.on(PutCommand).rejects(throughput());
    const store = new DynamoStageRecordStore({ tableName: 'pipeline', client });

    // Act
    const result = store.rememberPreviousRevision(
      { executionName: 'e', environment: 'prod', region: 'eu-west-1' },
      'td:1',
    );

    // Assess
    await expect(result).rejects.toThrow(AwsTransientError);
  });

  it('when DynamoDB throttles noting or reading the deployed revision, it throws AwsTransientError naming it', async () => {
    // Prepare
    documents.on(PutCommand).rejects(throughput());
    documents.on(GetCommand).rejects(throughput());
    const store = new DynamoStageRecordStore({ tableName: 'pipeline', client });
    const key = { executionName: 'e', environment: 'prod', region: 'eu-west-1' };

    // Act
    const note = store.rememberDeployedRevision(key, 'td:2');
    const read = store.deployedRevision(key);

    // Assess
    await expect(note).rejects.toThrow(AwsTransientError);
    await expect(note).rejects.toThrow('PutItem of the deployed revision of e/prod/eu-west-1');
    await expect(read).rejects.toThrow('GetItem of the deployed revision of e/prod/eu-west-1');
  });

  it('when it notes the deployed revision, it puts an item of its own beside the stage record, read consistently', async () => {
    // Prepare
    documents.on(PutCommand).resolves({});
    documents.on(GetCommand).resolves({ Item: { taskDefinitionArn: 'td:2' } });
    const store = new DynamoStageRecordStore({ tableName: 'pipeline', client });
    const key = { executionName: 'e', environment: 'prod', region: 'eu-west-1' };

    // Act
    await store.rememberDeployedRevision(key, 'td:2');
    const read = await store.deployedRevision(key);

    // Assess
    expect(read).toBe('td:2');
    expect(documents).toReceiveCommandWith(PutCommand, {
      TableName: 'pipeline',
      Item: expect.objectContaining({
        pk: 'STAGE#e',
        sk: 'prod#eu-west-1#DEPLOYED',
        taskDefinitionArn: 'td:2',
      }),
    });
    expect(documents).toReceiveCommandWith(GetCommand, {
      Key: { pk: 'STAGE#e', sk: 'prod#eu-west-1#DEPLOYED' },
      ConsistentRead: true,
    });
  });

  it('when it reads a stage record, it reads consistently by the stage key', async () => {
    // Prepare
    documents.on(GetCommand).resolves({ Item: { previousTaskDefinitionArn: 'td:1' } });
    const store = new DynamoStageRecordStore({ tableName: 'pipeline', client });

    // Act
    await store.previousRevision({ executionName: 'e', environment: 'prod', region: 'eu-west-1' });

    // Assess
    expect(documents).toReceiveCommandWith(GetCommand, {
      TableName: 'pipeline',
      Key: { pk: 'STAGE#e', sk: 'prod#eu-west-1' },
      ConsistentRead: true,
    });
  });

  it('when DynamoDB throttles a take or a list, it throws AwsTransientError', async () => {
    // Prepare
    documents.on(DeleteCommand).rejects(throughput());
    documents.on(QueryCommand).rejects(throughput());
    const store = new DynamoDeploymentWaiterStore({ tableName: 'pipeline', client });

    // Act
    const take = store.take('ecs-svc/1');
    const list = store.list();

    // Assess
    await expect(take).rejects.toThrow(AwsTransientError);
    await expect(list).rejects.toThrow(AwsTransientError);
  });

  it('when it takes a waiter, it deletes conditionally and asks for the old item', async () => {
    // Prepare
    documents.on(DeleteCommand).resolves({});
    const store = new DynamoDeploymentWaiterStore({ tableName: 'pipeline', client });

    // Act
    const taken = await store.take('ecs-svc/1');

    // Assess
    expect(taken).toBeUndefined();
    expect(documents).toReceiveCommandWith(DeleteCommand, {
      TableName: 'pipeline',
      Key: { pk: 'DEPLOYMENT_WAITER', sk: 'ecs-svc/1' },
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ReturnValues: 'ALL_OLD',
    });
  });
});
