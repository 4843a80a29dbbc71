import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeploymentWaiter, DeploymentWaiterStore, EcsTarget } from '../ports/deployment';
import { isAwsError, mapAwsError } from './aws-errors';
import {
  PIPELINE_TABLE,
  queryPartition,
  ttlSeconds,
  tableOf,
  type PipelineTableOptions,
} from './pipeline-table';

export type DynamoDeploymentWaiterStoreOptions = PipelineTableOptions & {
  /** Items per Query page for `list`; defaults to DynamoDB's own 1 MB pages. Tests set it to see paging. */
  pageSize?: number;
};

const PARTITION = 'DEPLOYMENT_WAITER';

/**
 * Deployment waiters in the pipeline table, all under one partition (`DEPLOYMENT_WAITER`) keyed by ECS
 * deployment id, so the sweep lists them with one Query: there are only as many as deployments in flight.
 * `take` is a conditional delete returning the old item, which DynamoDB applies once: of the ECS event and
 * the sweep racing for the same waiter, exactly one gets it and resumes the execution. Expiry is kept in
 * milliseconds for the domain (`expiresAtMs`) and in seconds in the TTL attribute for DynamoDB.
 */
export class DynamoDeploymentWaiterStore implements DeploymentWaiterStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly pageSize: number | undefined;

  constructor(options: DynamoDeploymentWaiterStoreOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.pageSize = options.pageSize;
  }

  async put(waiter: DeploymentWaiter): Promise<void> {
    // Unconditional: a retried "Wait for ECS deployment" step comes with a new task token, and the old token
    // belongs to an attempt Step Functions has given up on.
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(waiter.deploymentId),
            deploymentId: waiter.deploymentId,
            taskToken: waiter.taskToken,
            target: {
              region: waiter.target.region,
              cluster: waiter.target.cluster,
              service: waiter.target.service,
            },
            expiresAtMs: waiter.expiresAt,
            ...(waiter.taskDefinitionArn !== undefined && { taskDefinitionArn: waiter.taskDefinitionArn }),
            ...(waiter.since !== undefined && { sinceMs: waiter.since }),
            [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(waiter.expiresAt),
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the waiter for deployment ${waiter.deploymentId}`);
    }
  }

  async get(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(deploymentId), ConsistentRead: true }),
      );
      return Item ? toWaiter(Item) : undefined;
    } catch (error) {
      throw mapAwsError(error, `DynamoDB GetItem of the waiter for deployment ${deploymentId}`);
    }
  }

  async take(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    try {
      const { Attributes } = await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(deploymentId),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes ? toWaiter(Attributes) : undefined;
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return undefined;
      throw mapAwsError(error, `DynamoDB DeleteItem of the waiter for deployment ${deploymentId}`);
    }
  }

  async remove(deploymentId: string, taskToken: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(deploymentId),
          ConditionExpression: 'taskToken = :token',
          ExpressionAttributeValues: { ':token': taskToken },
        }),
      );
    } catch (error) {
      // Gone already, or a retried wait stored a new token: either way this token's waiter is done.
      if (isAwsError(error, ConditionalCheckFailedException)) return;
      throw mapAwsError(error, `DynamoDB DeleteItem of the waiter for deployment ${deploymentId}`);
    }
  }

  async list(): Promise<DeploymentWaiter[]> {
    try {
      const items = await queryPartition(this.documents, this.tableName, {
        partition: PARTITION,
        ...(this.pageSize !== undefined && { pageSize: this.pageSize }),
      });
      return items.map(toWaiter);
    } catch (error) {
      throw mapAwsError(error, 'DynamoDB Query of the deployment waiters');
    }
  }
}

function keyOf(deploymentId: string): Record<string, string> {
  return { [PIPELINE_TABLE.partitionKey]: PARTITION, [PIPELINE_TABLE.sortKey]: deploymentId };
}

function toWaiter(item: Record<string, unknown>): DeploymentWaiter {
  const target = (item.target ?? {}) as Partial<EcsTarget>;
  return {
    deploymentId: String(item.deploymentId ?? item[PIPELINE_TABLE.sortKey]),
    taskToken: String(item.taskToken),
    target: {
      region: String(target.region),
      cluster: String(target.cluster),
      service: String(target.service),
    },
    expiresAt: Number(item.expiresAtMs),
    ...(typeof item.taskDefinitionArn === 'string' && { taskDefinitionArn: item.taskDefinitionArn }),
    ...(item.sinceMs !== undefined && { since: Number(item.sinceMs) }),
  };
}
