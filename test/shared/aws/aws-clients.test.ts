import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { awsClient, awsClients, useAwsClientFactory } from '../../../shared/aws/aws-clients';
import { DynamoDeploymentLocks } from '../../../shared/aws/deployment-locks.adapter';
import { EcsContainerPlatform } from '../../../shared/aws/ecs.adapter';
import { pipelineTable } from '../../../shared/aws/pipeline-table';

describe('awsClients', () => {
  const built: string[] = [];

  beforeEach(() => {
    built.length = 0;
    useAwsClientFactory((Service, region) => {
      built.push(`${Service.name} ${region}`);
      return new Service({ region: region || 'eu-west-1' });
    });
  });

  afterAll(() => useAwsClientFactory());

  it('when asked for the same service and region twice, it builds the client once', () => {
    // Act
    const first = awsClient(ECSClient, 'eu-west-1');
    const again = awsClients(ECSClient)('eu-west-1');
    const otherRegion = awsClient(ECSClient, 'us-east-1');
    const otherService = awsClient(DynamoDBClient, 'eu-west-1');

    // Assess
    expect(again).toBe(first);
    expect(otherRegion).not.toBe(first);
    expect(otherService).toBeInstanceOf(DynamoDBClient);
    expect(built).toEqual(['ECSClient eu-west-1', 'ECSClient us-east-1', 'DynamoDBClient eu-west-1']);
  });

  it('when two adapters are built without clients, they share the container client', async () => {
    // Prepare
    const first = new EcsContainerPlatform();
    const second = new EcsContainerPlatform();
    const locks = new DynamoDeploymentLocks({ tableName: 'pipeline' });
    const table = pipelineTable('pipeline');

    // Act: nothing is sent; building the adapters and the table is what builds clients.
    void [first, second, locks, table];
    awsClient(ECSClient, 'eu-west-1');

    // Assess
    expect(built).toEqual(['DynamoDBClient ', 'ECSClient eu-west-1']);
  });

  it('when the factory is replaced, it forgets the clients built before', () => {
    // Prepare
    const before = awsClient(ECSClient, 'eu-west-1');

    // Act
    useAwsClientFactory((Service, region) => new Service({ region }));
    const after = awsClient(ECSClient, 'eu-west-1');

    // Assess
    expect(after).not.toBe(before);
  });
});
