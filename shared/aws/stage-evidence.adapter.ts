import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StageEvidence, StageEvidenceStore } from '../ports/deployment';
import { mapAwsError } from './aws-errors';
import {
  PIPELINE_TABLE,
  queryPartition,
  ttlSeconds,
  tableOf,
  type PipelineTableOptions,
} from './pipeline-table';

const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Stage evidence beside the stage records (`STAGE#<execution>`, `EVIDENCE#<environment>#<region>`): what
 * each deployed stage showed, read back when a later stage asks for approval. A put overwrites: a redriven
 * stage's newer evidence replaces the old.
 */
export class DynamoStageEvidenceStore implements StageEvidenceStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: PipelineTableOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
  }

  async record(executionName: string, evidence: StageEvidence): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [PIPELINE_TABLE.partitionKey]: `STAGE#${executionName}`,
            [PIPELINE_TABLE.sortKey]: `EVIDENCE#${evidence.environment}#${evidence.region}`,
            evidence,
            [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(evidence.at + RETENTION_MS),
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `DynamoDB PutItem of the evidence of ${executionName}`);
    }
  }

  async list(executionName: string): Promise<StageEvidence[]> {
    try {
      const items = await queryPartition(this.documents, this.tableName, {
        partition: `STAGE#${executionName}`,
        sortKeyPrefix: 'EVIDENCE#',
      });
      return items.map((item) => item.evidence as StageEvidence).sort((a, b) => a.at - b.at);
    } catch (error) {
      throw mapAwsError(error, `DynamoDB Query of the evidence of ${executionName}`);
    }
  }
}
