import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDeploymentLocks } from '../../../shared/aws/deployment-locks.adapter';
import { DynamoStageRecordStore } from '../../../shared/aws/stage-records.adapter';
import { lambdaPipelineTable, useAwsClientFactory } from '../../../shared/wiring/aws-clients';

describe('lambdaPipelineTable', () => {
  const env = process.env.PIPELINE_TABLE;
  const built: string[] = [];

  beforeAll(() => {
    process.env.PIPELINE_TABLE = 'pipeline';
  });

  beforeEach(() => {
    built.length = 0;
    useAwsClientFactory((Service, region) => {
      built.push(`${Service.name} ${region}`);
      return new Service({ region: region || 'eu-west-1' });
    });
  });

  afterAll(() => {
    useAwsClientFactory();
    if (env === undefined) delete process.env.PIPELINE_TABLE;
    else process.env.PIPELINE_TABLE = env;
  });

  it('when stores are wired over it, no DynamoDB client is built until the table is used', () => {
    // Act
    const table = lambdaPipelineTable();
    void [new DynamoDeploymentLocks({ table }), new DynamoStageRecordStore({ table: lambdaPipelineTable() })];

    // Assess
    expect(table.name).toBe('pipeline');
    expect(built).toEqual([]);
  });

  it('when two tables are used, they share one DynamoDB client and one document client', async () => {
    // Prepare
    const first = lambdaPipelineTable();
    const second = lambdaPipelineTable();

    // Act
    const firstRegion = await first.documents.config.region();
    const secondRegion = await second.documents.config.region();

    // Assess
    expect(first.documents).toBeInstanceOf(DynamoDBDocumentClient);
    expect(first.documents.config).toBe(second.documents.config);
    expect([firstRegion, secondRegion]).toEqual(['eu-west-1', 'eu-west-1']);
    expect(built).toEqual([`${DynamoDBClient.name} `]);
  });

  it('when the client factory is replaced before the first use, the table uses a client from the new factory', async () => {
    // Prepare
    const table = lambdaPipelineTable();
    useAwsClientFactory((Service) => {
      built.push(`replacement ${Service.name}`);
      return new Service({ region: 'us-east-1' });
    });

    // Act
    const region = await table.documents.config.region();

    // Assess
    expect(region).toBe('us-east-1');
    expect(built).toEqual([`replacement ${DynamoDBClient.name}`]);
  });
});
