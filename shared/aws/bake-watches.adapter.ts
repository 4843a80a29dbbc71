import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BakeWatch, BakeWatchKey, BakeWatchStore } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import {
  PIPELINE_TABLE,
  queryPartition,
  tableOf,
  ttlSeconds,
  type PipelineTableOptions,
} from './pipeline-table';

export type DynamoBakeWatchStoreOptions = PipelineTableOptions & {
  /** Items per Query page for `list`; defaults to DynamoDB's own 1 MB pages. Tests set it to see paging. */
  pageSize?: number;
};

const PARTITION = 'BAKE_WATCH';

/**
 * Bake watches in the pipeline table, beside the deployment waiters and like them under one partition
 * (`BAKE_WATCH`, keyed `<region>#<environment>#<execution>`): an alarm event and the sweep list every
 * baking stage with one Query, and there are only as many as stages baking. Removal is conditional on the
 * token, so a retried bake's newer watch survives the end of the older one.
 */
export class DynamoBakeWatchStore implements BakeWatchStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number | undefined;

  constructor(options: DynamoBakeWatchStoreOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.pageSize = options.pageSize;
  }

  async put(watch: BakeWatch): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(watch),
            executionName: watch.executionName,
            service: watch.service,
            environment: watch.environment,
            region: watch.region,
            taskToken: watch.taskToken,
            alarms: { names: watch.alarms.names, prefixes: watch.alarms.prefixes },
            deployedAtMs: watch.deployedAt,
            bakeStartedAtMs: watch.bakeStartedAt,
            bakeSeconds: watch.bakeSeconds,
            expiresAtMs: watch.expiresAt,
            // A day past the bake: the sweep drops expired watches, the TTL only catches a sweep that never ran.
            [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(watch.expiresAt + 86_400_000),
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the bake watch of ${describe(watch)}`);
    }
  }

  async list(): Promise<BakeWatch[]> {
    try {
      const items = await queryPartition(this.documents, this.tableName, {
        partition: PARTITION,
        ...(this.pageSize !== undefined && { pageSize: this.pageSize }),
      });
      return items.map(toWatch);
    } catch (error) {
      throw mapAwsError(error, 'DynamoDB Query of the bake watches');
    }
  }

  async remove(key: BakeWatchKey, taskToken: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ConditionExpression: 'taskToken = :token',
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
    } catch (error) {
      // Gone already, or a retried bake stored a new token: either way this token's watch is done.
      if (isAwsError(error, ConditionalCheckFailedException)) return;
      throw mapAwsError(error, `DynamoDB DeleteItem of the bake watch of ${describe(key)}`);
    }
  }
}

function keyOf(key: BakeWatchKey): Record<string, string> {
  return {
    [PIPELINE_TABLE.partitionKey]: PARTITION,
    [PIPELINE_TABLE.sortKey]: `${key.region}#${key.environment}#${key.executionName}`,
  };
}

function describe(key: BakeWatchKey): string {
  return `${key.executionName} in ${key.environment}/${key.region}`;
}

function toWatch(item: Record<string, unknown>): BakeWatch {
  const alarms = (item.alarms ?? {}) as { names?: unknown; prefixes?: unknown };
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return {
    executionName: String(item.executionName),
    service: String(item.service),
    environment: String(item.environment),
    region: String(item.region),
    taskToken: String(item.taskToken),
    alarms: { names: strings(alarms.names), prefixes: strings(alarms.prefixes) },
    deployedAt: Number(item.deployedAtMs),
    bakeStartedAt: Number(item.bakeStartedAtMs),
    bakeSeconds: Number(item.bakeSeconds),
    expiresAt: Number(item.expiresAtMs),
  };
}
