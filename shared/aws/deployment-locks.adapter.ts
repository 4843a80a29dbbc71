import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeploymentLocks, DeploymentOrder, LockKey } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, tableOf, type PipelineTableOptions } from './pipeline-table';

export type DynamoDeploymentLocksOptions = PipelineTableOptions;

/**
 * Deployment locks in the pipeline table: one item per service and environment (`LOCK#<service>#<env>`)
 * with the holder, its lease and the last version deployed. Taking the lock is one conditional update
 * (free, expired, or already ours), so two executions can never both hold it; the item is never deleted,
 * because `last` is what tells a waiting older version it was superseded.
 */
export class DynamoDeploymentLocks implements DeploymentLocks {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoDeploymentLocksOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
  }

  async acquire(key: LockKey, owner: string, leaseUntil: number, now: number) {
    try {
      const result = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET #owner = :owner, #lease = :lease, #since = if_not_exists(#since, :now)',
          ConditionExpression: 'attribute_not_exists(#owner) OR #owner = :owner OR #lease < :now',
          ExpressionAttributeNames: { '#owner': 'owner', '#lease': 'leaseUntil', '#since': 'since' },
          ExpressionAttributeValues: { ':owner': owner, ':lease': leaseUntil, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const last = result.Attributes?.last as DeploymentOrder | undefined;
      const waiting = result.Attributes?.waiting as DeploymentOrder | undefined;
      return { acquired: true as const, ...(last && { last }), ...(waiting && { waiting }) };
    } catch (error) {
      if (!isAwsError(error, ConditionalCheckFailedException))
        throw mapAwsError(error, `DynamoDB UpdateItem of the deployment lock ${describe(key)}`);
    }
    const held = await this.documents
      .send(new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }))
      .catch((error: unknown) => {
        throw mapAwsError(error, `DynamoDB GetItem of the deployment lock ${describe(key)}`);
      });
    const waiting = held.Item?.waiting as DeploymentOrder | undefined;
    return {
      acquired: false as const,
      holder: String(held.Item?.owner ?? 'another execution'),
      since: Number(held.Item?.since ?? now),
      ...(waiting && { waiting }),
    };
  }

  async markWaiting(key: LockKey, order: DeploymentOrder, replacing?: DeploymentOrder): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET #waiting = :order',
          ConditionExpression: replacing ? '#waiting.#owner = :replacing' : 'attribute_not_exists(#waiting)',
          ExpressionAttributeNames: { '#waiting': 'waiting', ...(replacing && { '#owner': 'owner' }) },
          ExpressionAttributeValues: { ':order': order, ...(replacing && { ':replacing': replacing.owner }) },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return false;
      throw mapAwsError(error, `DynamoDB UpdateItem of the waiting deployment of ${describe(key)}`);
    }
  }

  async release(key: LockKey, owner: string, deployed?: DeploymentOrder): Promise<void> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: `REMOVE #owner, #lease, #since${deployed ? ' SET #last = :last' : ''}`,
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: {
            '#owner': 'owner',
            '#lease': 'leaseUntil',
            '#since': 'since',
            ...(deployed && { '#last': 'last' }),
          },
          ExpressionAttributeValues: { ':owner': owner, ...(deployed && { ':last': deployed }) },
        }),
      );
    } catch (error) {
      // Not ours any more (released already by a retried step, or the lease expired and was taken): fine.
      if (isAwsError(error, ConditionalCheckFailedException)) return;
      throw mapAwsError(error, `DynamoDB UpdateItem releasing the deployment lock ${describe(key)}`);
    }
  }
}

function keyOf(key: LockKey) {
  return {
    [PIPELINE_TABLE.partitionKey]: `LOCK#${key.service}#${key.environment}`,
    [PIPELINE_TABLE.sortKey]: 'LOCK',
  };
}

function describe(key: LockKey): string {
  return `${key.service}/${key.environment}`;
}
