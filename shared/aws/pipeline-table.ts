import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { awsClient } from './aws-clients';

/**
 * The pipeline's single DynamoDB table: every record kind shares one key schema, with the kind in the
 * partition key (`STAGE#…`, `DEPLOYMENT_WAITER`), and expires through DynamoDB TTL on `expiresAt`.
 */
export const PIPELINE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** TTL attribute, epoch seconds: DynamoDB ignores TTL values in milliseconds (they look centuries away). */
  ttlAttribute: 'expiresAt',
  /**
   * The time index of the deployment records (docs/metrics.md, "Cost"): a sparse GSI over `pk` and the
   * record's `at` (epoch ms), which only history items carry, so the metrics read one window of a service.
   */
  timeIndex: 'by-record-time',
  timeAttribute: 'recordAt',
} as const;

/**
 * The key of one item: the partition (its kind, `MIGRATED#orders-api`) and its sort key. Every store builds
 * its keys with this, so what one wrote another reads at the same place.
 */
export function itemKey(partition: string, sortKey: string): Record<string, string> {
  return { [PIPELINE_TABLE.partitionKey]: partition, [PIPELINE_TABLE.sortKey]: sortKey };
}

/** Epoch milliseconds → the epoch seconds DynamoDB TTL expects, rounded up so nothing expires early. */
export function ttlSeconds(epochMs: number): number {
  return Math.ceil(epochMs / 1000);
}

/**
 * The document client every table adapter uses over a plain DynamoDB client. Optional fields of the domain
 * types are often `undefined`, which the marshaller would otherwise reject.
 */
export function pipelineDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The pipeline table as its stores use it: its name and one document client. */
export interface PipelineTable {
  readonly name: string;
  readonly documents: DynamoDBDocumentClient;
}

/**
 * The pipeline table over `client` (by default the container's DynamoDB client in the SDK's region). Build
 * it once and hand it to every store, so that they share one document client over one DynamoDB client.
 */
export function pipelineTable(
  name: string,
  client: DynamoDBClient = awsClient(DynamoDBClient),
): PipelineTable {
  return { name, documents: pipelineDocumentClient(client) };
}

/**
 * How a store is told its table: the shared {@link PipelineTable} (handlers), or a name and optionally a
 * client (tests, the local runtime and the CLI, which point clients at dynalite or the local stack).
 */
export type PipelineTableOptions = { table: PipelineTable } | { tableName: string; client?: DynamoDBClient };

export function tableOf(options: PipelineTableOptions): PipelineTable {
  return 'table' in options ? options.table : pipelineTable(options.tableName, options.client);
}

/**
 * Every item of partition `partition` whose sort key starts with `sortKeyPrefix` (all of them when absent),
 * read consistently, every page (the SDK's paginator follows LastEvaluatedKey). Callers map errors
 * (`mapAwsError`) with what they were reading.
 */
export async function queryPartition(
  documents: DynamoDBDocumentClient,
  tableName: string,
  query: { partition: string; sortKeyPrefix?: string; pageSize?: number },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const prefixed = query.sortKeyPrefix !== undefined;
  const pages = paginateQuery(
    { client: documents, ...(query.pageSize !== undefined && { pageSize: query.pageSize }) },
    {
      TableName: tableName,
      KeyConditionExpression: prefixed ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': PIPELINE_TABLE.partitionKey,
        ...(prefixed && { '#sk': PIPELINE_TABLE.sortKey }),
      },
      ExpressionAttributeValues: {
        ':pk': query.partition,
        ...(prefixed && { ':prefix': query.sortKeyPrefix }),
      },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/**
 * Creates the table on demand-capacity billing and waits until it is ACTIVE. In AWS the table comes from the
 * stack; this is for the local runtime and the tests, against dynalite. TTL is not enabled here: dynalite
 * does not implement UpdateTimeToLive, and nothing local runs long enough for expiry to matter.
 */
export async function createPipelineTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: PIPELINE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: PIPELINE_TABLE.sortKey, AttributeType: 'S' },
        { AttributeName: PIPELINE_TABLE.timeAttribute, AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: PIPELINE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: PIPELINE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      // As serverless.yml's PipelineTable has it.
      GlobalSecondaryIndexes: [
        {
          IndexName: PIPELINE_TABLE.timeIndex,
          KeySchema: [
            { AttributeName: PIPELINE_TABLE.partitionKey, KeyType: 'HASH' },
            { AttributeName: PIPELINE_TABLE.timeAttribute, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  // dynalite keeps a new table CREATING for a while (500 ms by default); the SDK waiter would poll every 20 s.
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`DynamoDB table ${tableName} did not become ACTIVE within 10 seconds`);
}
