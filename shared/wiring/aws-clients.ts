import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient } from '../aws/aws-clients';
import { pipelineDocumentClient, type PipelineTable } from '../aws/pipeline-table';
import { onFirstUse } from '../on-first-use';
import { pipelineTableName } from './lambda-environment';

export { awsClient, awsClients, useAwsClientFactory, type AwsClientFactory } from '../aws/aws-clients';

const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

/**
 * The pipeline table every DynamoDB store of a function shares: named by `PIPELINE_TABLE`, over the
 * container's one DynamoDB client (so one document client, whichever stores a handler wires). Kept per
 * client, so that a test replacing the clients with `useAwsClientFactory` gets a table over its own.
 *
 * The clients are built on the table's first request, not when a handler wires its stores: a step whose
 * invocation ends before it reads the table (an ECS call failed, a branch that never records) does not
 * build a DynamoDB client, its middleware stack and a document client for nothing (docs/cold-start.md).
 */
export function lambdaPipelineTable(): PipelineTable {
  return { name: pipelineTableName(), documents: onFirstUse(sharedDocumentClient) };
}

function sharedDocumentClient(): DynamoDBDocumentClient {
  const client = awsClient(DynamoDBClient);
  let documents = documentClients.get(client);
  if (documents === undefined) {
    documents = pipelineDocumentClient(client);
    documentClients.set(client, documents);
  }
  return documents;
}
