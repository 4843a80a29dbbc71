import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isInForce, type DeploymentFreeze } from '../domain/deployment-gate';
import type { DeploymentFreezes } from '../ports/deployment';
import { mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, queryPartition, tableOf, type PipelineTableOptions } from './pipeline-table';

const PARTITION = 'FREEZES';

/**
 * Freezes in the pipeline table, one partition for all environments (there are a handful): `FREEZES` /
 * `ENV#<environment>` holds the freeze in force, `FREEZES` / `LIFTED#<environment>#<at>` keeps each lifted
 * freeze with who lifted it, as the audit trail. No TTL: a freeze with an end stays until unfrozen, but
 * stops counting once its `until` has passed.
 */
export class DynamoDeploymentFreezes implements DeploymentFreezes {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: PipelineTableOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
  }

  async freeze(
    environment: string,
    freeze: { reason: string; by: string; at: number; until?: number },
  ): Promise<DeploymentFreeze> {
    const stored: DeploymentFreeze = { environment, ...freeze };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(environment), freeze: stored },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the freeze of ${environment}`);
    }
    return stored;
  }

  async unfreeze(
    environment: string,
    lift: { by: string; at: number },
  ): Promise<DeploymentFreeze | undefined> {
    let lifted: DeploymentFreeze | undefined;
    try {
      const result = await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(environment),
          ReturnValues: 'ALL_OLD',
        }),
      );
      lifted = result.Attributes?.freeze as DeploymentFreeze | undefined;
    } catch (error) {
      throw mapAwsError(error, `DynamoDB DeleteItem of the freeze of ${environment}`);
    }
    if (!lifted) return undefined;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PIPELINE_TABLE.partitionKey]: PARTITION,
            [PIPELINE_TABLE.sortKey]: `LIFTED#${environment}#${String(lift.at).padStart(15, '0')}`,
            freeze: lifted,
            liftedBy: lift.by,
            liftedAt: lift.at,
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the lifted freeze of ${environment}`);
    }
    return lifted;
  }

  async current(environment: string, now: number): Promise<DeploymentFreeze | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(environment), ConsistentRead: true }),
      );
      const freeze = Item?.freeze as DeploymentFreeze | undefined;
      return freeze && isInForce(freeze, now) ? freeze : undefined;
    } catch (error) {
      throw mapAwsError(error, `DynamoDB GetItem of the freeze of ${environment}`);
    }
  }

  async list(now: number): Promise<DeploymentFreeze[]> {
    let items: Record<string, unknown>[];
    try {
      items = await queryPartition(this.documents, this.tableName, {
        partition: PARTITION,
        sortKeyPrefix: 'ENV#',
      });
    } catch (error) {
      throw mapAwsError(error, 'DynamoDB Query of the deployment freezes');
    }
    return items
      .map((item) => item.freeze as DeploymentFreeze)
      .filter((f) => isInForce(f, now))
      .sort((a, b) => a.environment.localeCompare(b.environment));
  }
}

function keyOf(environment: string) {
  return { [PIPELINE_TABLE.partitionKey]: PARTITION, [PIPELINE_TABLE.sortKey]: `ENV#${environment}` };
}
