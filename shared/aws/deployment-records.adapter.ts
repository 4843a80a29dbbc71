import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { changesWhatRuns, targetKey, type DeploymentRecord } from '../domain/deployment-record';
import type { DeploymentRecordStore } from '../ports/deployment';
import { awsErrorName, isAwsError, mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, queryPartition, tableOf, type PipelineTableOptions } from './pipeline-table';

/**
 * Deployment records in the pipeline table, kept without TTL (they are the audit trail):
 * `DEPLOYMENTS#<service>` / `RECORD#<environment>#<region>#<execution>#<outcome>` for the history (a retried
 * or redriven step overwrites its own record), and `DEPLOYMENTS#<service>` / `RUNNING#<environment>#<region>`
 * for what runs there now, overwritten by each deploy. History items also carry `recordAt` (the record's
 * `at`), the sort key of the table's time index, which the delivery metrics query for one window.
 */
export class DynamoDeploymentRecords implements DeploymentRecordStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: PipelineTableOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
  }

  async put(record: DeploymentRecord): Promise<{ created: boolean }> {
    const pk = partitionOf(record.service);
    const target = targetKey(record);
    try {
      // ALL_OLD says whether a retry overwrote the record (free on PutItem): what emits metrics once.
      const { Attributes } = await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: historyItem(record), ReturnValues: 'ALL_OLD' }),
      );
      if (changesWhatRuns(record))
        await this.documents
          .send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                [PIPELINE_TABLE.partitionKey]: pk,
                [PIPELINE_TABLE.sortKey]: `RUNNING#${target}`,
                record,
              },
              // A late retry of an older stage must not overwrite a newer deploy's record.
              ConditionExpression: 'attribute_not_exists(#record) OR #record.#at <= :at',
              ExpressionAttributeNames: { '#record': 'record', '#at': 'at' },
              ExpressionAttributeValues: { ':at': record.at },
            }),
          )
          .catch((error: unknown) => {
            if (!isAwsError(error, ConditionalCheckFailedException)) throw error;
          });
      return { created: Attributes === undefined };
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the ${record.outcome} record of ${record.execution}`);
    }
  }

  history(service: string): Promise<DeploymentRecord[]> {
    return this.query(service, 'RECORD#').then((records) => records.sort((a, b) => b.at - a.at));
  }

  running(service: string): Promise<DeploymentRecord[]> {
    return this.query(service, 'RUNNING#');
  }

  /**
   * Through the time index (eventually consistent, as every GSI read is). A table without the index (a
   * local data directory from before it) is read whole and filtered: the same records, at the old cost.
   */
  async recordedBetween(service: string, span: { from: number; to: number }): Promise<DeploymentRecord[]> {
    const records: DeploymentRecord[] = [];
    try {
      const pages = paginateQuery(
        { client: this.documents },
        {
          TableName: this.tableName,
          IndexName: PIPELINE_TABLE.timeIndex,
          KeyConditionExpression: '#pk = :pk AND #at BETWEEN :from AND :to',
          ExpressionAttributeNames: {
            '#pk': PIPELINE_TABLE.partitionKey,
            '#at': PIPELINE_TABLE.timeAttribute,
          },
          ExpressionAttributeValues: { ':pk': partitionOf(service), ':from': span.from, ':to': span.to },
        },
      );
      for await (const page of pages)
        for (const item of page.Items ?? []) records.push(item.record as DeploymentRecord);
      return records;
    } catch (error) {
      if (isMissingIndex(error))
        return (await this.history(service)).filter((r) => r.at >= span.from && r.at <= span.to);
      throw mapAwsError(error, `DynamoDB Query of the deployment records of ${service} by time`);
    }
  }

  /** One GetItem of the environment/region's `RUNNING#` item, where `running` queries every one of them. */
  async runningIn(
    service: string,
    target: { environment: string; region: string },
  ): Promise<DeploymentRecord | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: {
            [PIPELINE_TABLE.partitionKey]: partitionOf(service),
            [PIPELINE_TABLE.sortKey]: `RUNNING#${targetKey(target)}`,
          },
          ConsistentRead: true,
        }),
      );
      return Item?.record as DeploymentRecord | undefined;
    } catch (error) {
      throw mapAwsError(
        error,
        `DynamoDB GetItem of what runs in ${targetKey(target)} for ${service} (deployment records)`,
      );
    }
  }

  private async query(service: string, prefix: string): Promise<DeploymentRecord[]> {
    try {
      const items = await queryPartition(this.documents, this.tableName, {
        partition: partitionOf(service),
        sortKeyPrefix: prefix,
      });
      return items.map((item) => item.record as DeploymentRecord);
    } catch (error) {
      throw mapAwsError(error, `DynamoDB Query of the deployment records of ${service}`);
    }
  }
}

/** A record's history item, as `put` writes it (the metrics benchmark fills a table with these). */
export function historyItem(record: DeploymentRecord): Record<string, unknown> {
  return {
    [PIPELINE_TABLE.partitionKey]: partitionOf(record.service),
    [PIPELINE_TABLE.sortKey]: `RECORD#${targetKey(record)}#${record.execution}#${record.outcome}`,
    [PIPELINE_TABLE.timeAttribute]: record.at,
    record,
  };
}

/** DynamoDB's answer to a Query of an index the table does not have. */
function isMissingIndex(error: unknown): boolean {
  return (
    awsErrorName(error) === 'ValidationException' &&
    /does not have the specified index/.test((error as Error).message)
  );
}

function partitionOf(service: string): string {
  return `DEPLOYMENTS#${service}`;
}
