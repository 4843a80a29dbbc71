/**
 * The local stack (dynalite, `createPipelineTable`) and the stack's template (serverless.yml) must define
 * the pipeline table alike, its time index included (docs/metrics.md, "Cost"): the delivery metrics query
 * that index in both.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createPipelineTable, PIPELINE_TABLE } from '../../shared/aws/pipeline-table';
import { loadServerlessYml } from '../support/serverless-yml';

describe('the pipeline table, in the template and in the local stack', () => {
  it('when the local stack creates the table, it has the attributes and indexes the template declares', async () => {
    // Prepare
    const dynamo = mockClient(DynamoDBClient);
    dynamo.on(CreateTableCommand).resolves({});
    dynamo.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    const table = loadServerlessYml().resources!.Resources!.PipelineTable!.Properties!;

    // Act
    await createPipelineTable(new DynamoDBClient({ region: 'eu-west-1' }), 'pipeline-local');

    // Assess
    const created = dynamo.commandCalls(CreateTableCommand)[0]!.args[0].input as CreateTableCommandInput;
    expect(created.AttributeDefinitions).toEqual(table.AttributeDefinitions);
    expect(created.KeySchema).toEqual(table.KeySchema);
    expect(created.GlobalSecondaryIndexes).toEqual(table.GlobalSecondaryIndexes);
    expect(created.GlobalSecondaryIndexes!.map((index) => index.IndexName)).toEqual([
      PIPELINE_TABLE.timeIndex,
    ]);
    dynamo.restore();
  });
});
