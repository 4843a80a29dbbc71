import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsClient } from '../aws/aws-clients';
import { pipelineTable, type PipelineTable } from '../aws/pipeline-table';
import { pipelineTableName } from './lambda-environment';

export { awsClient, awsClients, useAwsClientFactory, type AwsClientFactory } from '../aws/aws-clients';

const tables = new WeakMap<DynamoDBClient, PipelineTable>();

/**
 * The pipeline table every DynamoDB store of a function shares: named by `PIPELINE_TABLE`, over the
 * container's one DynamoDB client (so one document client, whichever stores a handler wires). Kept per
 * client, so that a test replacing the clients with `useAwsClientFactory` gets a table over its own.
 */
export function lambdaPipelineTable(): PipelineTable {
  const client = awsClient(DynamoDBClient);
  let table = tables.get(client);
  if (table === undefined) {
    table = pipelineTable(pipelineTableName(), client);
    tables.set(client, table);
  }
  return table;
}
