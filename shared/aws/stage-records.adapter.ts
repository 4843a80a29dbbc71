import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../clock';
import type { StageKey, StageRecordStore } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, ttlSeconds, tableOf, type PipelineTableOptions } from './pipeline-table';

export type DynamoStageRecordStoreOptions = PipelineTableOptions & {
  /** Stamps the TTL; defaults to the wall clock. */
  clock?: Clock;
};

/** Long enough to roll back after the slowest promotion wave and to investigate it afterwards. */
const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Stage records in the pipeline table: one item per execution and stage (`STAGE#<execution>`,
 * `<environment>#<region>`) holding the revision the service ran before the deploy. The first write wins
 * through a conditional put, so a retried or redriven deploy step, which finds its own revision running,
 * cannot overwrite the revision a rollback must restore. A second item (`<environment>#<region>#DEPLOYED`)
 * holds the revision the deploy sent to ECS, written before the call. Items expire after 90 days.
 */
export class DynamoStageRecordStore implements StageRecordStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  constructor(options: DynamoStageRecordStoreOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.clock = options.clock ?? systemClock;
  }

  async rememberPreviousRevision(key: StageKey, previousTaskDefinitionArn: string): Promise<string> {
    const now = this.clock.now();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: revisionItem(keyOf(key), 'previousTaskDefinitionArn', previousTaskDefinitionArn, now),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
        }),
      );
      return previousTaskDefinitionArn;
    } catch (error) {
      if (!isAwsError(error, ConditionalCheckFailedException))
        throw mapAwsError(error, `DynamoDB PutItem of the stage record ${describe(key)}`);
    }
    const stored = await this.previousRevision(key);
    if (stored === undefined)
      // Only a delete between the put and the read gets here (TTL after 90 days, or a hand edit).
      throw new Error(`the stage record ${describe(key)} exists but could not be read back; retry the step`);
    return stored;
  }

  async rememberDeployedRevision(key: StageKey, taskDefinitionArn: string): Promise<void> {
    const now = this.clock.now();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: revisionItem(deployedKeyOf(key), 'taskDefinitionArn', taskDefinitionArn, now),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the deployed revision of ${describe(key)}`);
    }
  }

  deployedRevision(key: StageKey): Promise<string | undefined> {
    return this.readRevision(
      deployedKeyOf(key),
      'taskDefinitionArn',
      `the deployed revision of ${describe(key)}`,
    );
  }

  previousRevision(key: StageKey): Promise<string | undefined> {
    return this.readRevision(keyOf(key), 'previousTaskDefinitionArn', `the stage record ${describe(key)}`);
  }

  /** One attribute of one item, read consistently: a revision ARN, or undefined when there is none. */
  private async readRevision(
    itemKey: Record<string, string>,
    attribute: string,
    what: string,
  ): Promise<string | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: itemKey, ConsistentRead: true }),
      );
      const value: unknown = Item?.[attribute];
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      throw mapAwsError(error, `DynamoDB GetItem of ${what}`);
    }
  }
}

/** One revision under one attribute of one stage item, stamped and set to expire with the others. */
function revisionItem(
  itemKey: Record<string, string>,
  attribute: 'previousTaskDefinitionArn' | 'taskDefinitionArn',
  revision: string,
  now: number,
): Record<string, unknown> {
  return {
    ...itemKey,
    [attribute]: revision,
    recordedAt: now,
    [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(now + RETENTION_MS),
  };
}

/** The deployed revision has an item of its own: a plain put, so the first-write-wins item stays as it is. */
function deployedKeyOf(key: StageKey): Record<string, string> {
  return {
    [PIPELINE_TABLE.partitionKey]: `STAGE#${key.executionName}`,
    [PIPELINE_TABLE.sortKey]: `${key.environment}#${key.region}#DEPLOYED`,
  };
}

function keyOf(key: StageKey): Record<string, string> {
  return {
    [PIPELINE_TABLE.partitionKey]: `STAGE#${key.executionName}`,
    [PIPELINE_TABLE.sortKey]: `${key.environment}#${key.region}`,
  };
}

function describe(key: StageKey): string {
  return `${key.executionName}/${key.environment}/${key.region}`;
}
