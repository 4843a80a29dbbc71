import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MigrationRecord, MigrationStore, MigrationWaiter } from '../ports/migrations';
import { isAwsError, mapAwsError } from './aws-errors';
import {
  itemKey,
  PIPELINE_TABLE,
  queryPartition,
  tableOf,
  ttlSeconds,
  type PipelineTableOptions,
} from './pipeline-table';
import * as tokenWaiters from './task-token-waiters';

const WAITERS = 'MIGRATION_WAITER';
const HISTORY = (service: string) => `MIGRATION#${service}`;
const SUCCEEDED = (service: string) => `MIGRATED#${service}`;
const PLANS = (executionName: string) => `MIGRATION_PLAN#${executionName}`;
/** Long enough to answer "did this digest migrate here?" for any redrive, and to read the history. */
const RETENTION_MS = 400 * 24 * 3600 * 1000;

/**
 * Migration waiters and records in the pipeline table:
 * - `MIGRATION_WAITER` / `<startedBy>`: a step waiting for its task (the token, the task, the stage);
 *   removal is conditional on the token, so a retried step's newer waiter survives the end of the older
 *   (the table work is the task-token waiters', shared/aws/task-token-waiters.ts).
 * - `MIGRATION#<service>` / `<started ISO>#<environment>#<region>#<kind>#<task>`: every migration that ran
 *   to its end, for the records and `pipeline show`.
 * - `MIGRATED#<service>` / `<environment>#<region>#<digest>`: the digest migrated there (first success
 *   wins), which a later run of the same digest reads instead of migrating again.
 * - `MIGRATION_PLAN#<execution>` / `<environment>#<region>`: the stage's last plan, for its approval.
 */
export class DynamoMigrationStore implements MigrationStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly waiterTable: tokenWaiters.TaskTokenWaiters<MigrationWaiter, string>;

  constructor(options: PipelineTableOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.waiterTable = tokenWaiters.taskTokenWaiters<MigrationWaiter, string>(
      { table },
      {
        partition: WAITERS,
        sortKey: (startedBy) => startedBy,
        toItem: (waiter) => ({ ...waiter, expiresAtMs: waiter.expiresAt }),
        fromItem: toWaiter,
        deleteAfter: (waiter) => waiter.expiresAt + 86_400_000,
        describe: (startedBy) => `the migration waiter ${startedBy}`,
        plural: 'the migration waiters',
      },
    );
  }

  putWaiter(waiter: MigrationWaiter): Promise<void> {
    return tokenWaiters.putWaiter(this.waiterTable, waiter.startedBy, waiter);
  }

  setWaiterTask(startedBy: string, taskArn: string): Promise<boolean> {
    return tokenWaiters.updateWaiter(this.waiterTable, startedBy, { taskArn });
  }

  waiter(startedBy: string): Promise<MigrationWaiter | undefined> {
    return tokenWaiters.getWaiter(this.waiterTable, startedBy);
  }

  waiters(): Promise<MigrationWaiter[]> {
    return tokenWaiters.listWaiters(this.waiterTable);
  }

  removeWaiter(startedBy: string, taskToken: string): Promise<void> {
    return tokenWaiters.removeWaiter(this.waiterTable, startedBy, taskToken);
  }

  async record(record: MigrationRecord): Promise<void> {
    const expires = ttlSeconds(record.endedAt + RETENTION_MS);
    const sortKey = [
      new Date(record.startedAt).toISOString(),
      record.environment,
      record.region,
      record.kind,
      record.taskArn ?? record.executionName,
    ].join('#');
    await this.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...itemKey(HISTORY(record.service), sortKey),
          ...record,
          [PIPELINE_TABLE.ttlAttribute]: expires,
        },
      }),
      `PutItem of the migration record of ${record.service} in ${record.environment}/${record.region}`,
    );
    if (record.kind === 'plan')
      await this.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKey(PLANS(record.executionName), `${record.environment}#${record.region}`),
            ...record,
            [PIPELINE_TABLE.ttlAttribute]: expires,
          },
        }),
        `PutItem of the migration plan of ${record.executionName} in ${record.environment}/${record.region}`,
      );
    if (record.kind !== 'migrate' || record.outcome !== 'succeeded') return;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKey(SUCCEEDED(record.service), `${record.environment}#${record.region}#${record.digest}`),
            ...record,
            [PIPELINE_TABLE.ttlAttribute]: expires,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
        }),
      );
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return; // migrated already: the first stays
      throw mapAwsError(error, `DynamoDB PutItem of the migrated digest of ${record.service}`);
    }
  }

  async succeeded(
    of: Pick<MigrationRecord, 'service' | 'environment' | 'region' | 'digest'>,
  ): Promise<MigrationRecord | undefined> {
    const { Item } = await this.send(
      new GetCommand({
        TableName: this.tableName,
        Key: itemKey(SUCCEEDED(of.service), `${of.environment}#${of.region}#${of.digest}`),
        ConsistentRead: true,
      }),
      `GetItem of the migrated digest of ${of.service} in ${of.environment}/${of.region}`,
    );
    return Item ? toRecord(Item) : undefined;
  }

  async plan(
    executionName: string,
    environment: string,
    region: string,
  ): Promise<MigrationRecord | undefined> {
    const { Item } = await this.send(
      new GetCommand({
        TableName: this.tableName,
        Key: itemKey(PLANS(executionName), `${environment}#${region}`),
        ConsistentRead: true,
      }),
      `GetItem of the migration plan of ${executionName} in ${environment}/${region}`,
    );
    return Item ? toRecord(Item) : undefined;
  }

  async history(service: string): Promise<MigrationRecord[]> {
    try {
      const items = await queryPartition(this.documents, this.tableName, { partition: HISTORY(service) });
      return items.map(toRecord).sort((a, b) => b.startedAt - a.startedAt);
    } catch (error) {
      throw mapAwsError(error, `DynamoDB Query of the migration records of ${service}`);
    }
  }

  private async send(
    command: PutCommand | GetCommand,
    what: string,
  ): Promise<{ Item?: Record<string, unknown> | undefined }> {
    try {
      if (command instanceof GetCommand) return await this.documents.send(command);
      await this.documents.send(command);
      return {};
    } catch (error) {
      throw mapAwsError(error, `DynamoDB ${what}`);
    }
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function toWaiter(item: Record<string, unknown>): MigrationWaiter {
  const taskArn = str(item.taskArn);
  return {
    startedBy: String(item.startedBy),
    kind: item.kind === 'plan' ? 'plan' : 'migrate',
    taskToken: String(item.taskToken),
    executionName: String(item.executionName),
    service: String(item.service),
    environment: String(item.environment),
    region: String(item.region),
    cluster: String(item.cluster),
    ecsService: String(item.ecsService),
    taskDefinitionArn: String(item.taskDefinitionArn),
    container: String(item.container),
    digest: String(item.digest),
    version: String(item.version),
    ...(taskArn !== undefined && { taskArn }),
    startedAt: Number(item.startedAt),
    expiresAt: Number(item.expiresAtMs),
  };
}

function toRecord(item: Record<string, unknown>): MigrationRecord {
  const taskArn = str(item.taskArn);
  const exitCode = num(item.exitCode);
  const reason = str(item.reason);
  const outcome =
    item.outcome === 'succeeded' || item.outcome === 'skipped' || item.outcome === 'timed-out'
      ? item.outcome
      : 'failed';
  return {
    service: String(item.service),
    environment: String(item.environment),
    region: String(item.region),
    digest: String(item.digest),
    version: String(item.version),
    executionName: String(item.executionName),
    kind: item.kind === 'plan' ? 'plan' : 'migrate',
    outcome,
    ...(taskArn !== undefined && { taskArn }),
    startedAt: Number(item.startedAt),
    endedAt: Number(item.endedAt),
    ...(exitCode !== undefined && { exitCode }),
    ...(reason !== undefined && reason !== '' && { reason }),
    output: Array.isArray(item.output) ? item.output.map(String) : [],
  };
}
