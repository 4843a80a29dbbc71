import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  MAX_REFUSALS,
  type ApprovalDecision,
  type ApprovalRecord,
  type ApprovalRefusal,
  type ApprovalStatus,
  type ExpiryReason,
} from '../approvals/approval';
import type { ApprovalStore, DecisionWrite } from '../ports/approvals';
import { systemClock, type Clock } from '../clock';
import { isAwsError, mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, ttlSeconds, tableOf, type PipelineTableOptions } from './pipeline-table';

export type DynamoApprovalStoreOptions = PipelineTableOptions & {
  /** Stamps the pointer's update time; defaults to the wall clock. */
  clock?: Clock;
};

/** Records stay 30 days after they expire: long enough to audit who approved what. */
const RETENTION_AFTER_EXPIRY_MS = 30 * 24 * 60 * 60 * 1000;

const RECORD_SK = 'APPROVAL';

/**
 * Approvals in the pipeline table, two kinds of item:
 *
 * - the record, `APPROVAL#<approvalId>` / `APPROVAL`: the request, status, decisions and refusals. The
 *   domain's expiry is kept in milliseconds (`expiresAtMs`); the TTL attribute `expiresAt` is in seconds,
 *   30 days after it. Evidence is stored as JSON text so that any JSON value round-trips exactly.
 * - the stage pointer, `APPROVAL_STAGE#<executionName>` / `<environment>#<region>`: the current record of
 *   a stage, which a retried step finds its record by and a redriven one supersedes.
 *
 * Every change is one conditional write on one item; there are no transactions (dynalite has none).
 * Decisions are appended with `list_append` under a condition on the status, the number of decisions the
 * writer saw and the approver not having decided (a string set of lowercased approvers), so that exactly
 * one of racing writers wins each transition.
 */
export class DynamoApprovalStore implements ApprovalStore {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  constructor(options: DynamoApprovalStoreOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.clock = options.clock ?? systemClock;
  }

  async create(record: ApprovalRecord, previousApprovalId: string | undefined): Promise<boolean> {
    const ttl = ttlSeconds(record.expiresAt + RETENTION_AFTER_EXPIRY_MS);
    // The record first, then the pointer. A crash between the two leaves a record nothing points at and
    // nobody was told about: its id exists nowhere else, it expires through TTL, and the retried step (which
    // finds the old pointer) makes another. The reverse order could leave a pointer to a missing record.
    const { evidence, ...rest } = record;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...rest,
            ...recordKey(record.approvalId),
            ...(evidence !== undefined && { evidenceJson: JSON.stringify(evidence) }),
            expiresAtMs: record.expiresAt,
            [PIPELINE_TABLE.ttlAttribute]: ttl,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
        }),
      );
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException))
        throw new Error(`an approval with id ${record.approvalId} exists already; ids must be random`);
      throw mapAwsError(error, `DynamoDB PutItem of the approval ${record.approvalId}`);
    }

    // Compare-and-set on the pointer: of two requests for one stage racing, one moves it.
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...stageKey(record.executionName, record.environment, record.region),
            approvalId: record.approvalId,
            updatedAt: this.clock.now(),
            [PIPELINE_TABLE.ttlAttribute]: ttl,
          },
          ...(previousApprovalId === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
              }
            : {
                ConditionExpression: 'approvalId = :previous',
                ExpressionAttributeValues: { ':previous': previousApprovalId },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return false;
      throw mapAwsError(error, `DynamoDB PutItem of the stage pointer of approval ${record.approvalId}`);
    }
  }

  async get(approvalId: string): Promise<ApprovalRecord | undefined> {
    try {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: recordKey(approvalId), ConsistentRead: true }),
      );
      return Item ? toRecord(Item) : undefined;
    } catch (error) {
      throw mapAwsError(error, `DynamoDB GetItem of the approval ${approvalId}`);
    }
  }

  async byStage(
    executionName: string,
    environment: string,
    region: string,
  ): Promise<ApprovalRecord | undefined> {
    let approvalId: unknown;
    try {
      const { Item } = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: stageKey(executionName, environment, region),
          ConsistentRead: true,
        }),
      );
      approvalId = Item?.approvalId;
    } catch (error) {
      throw mapAwsError(
        error,
        `DynamoDB GetItem of the approval pointer ${executionName}/${environment}/${region}`,
      );
    }
    return typeof approvalId === 'string' ? this.get(approvalId) : undefined;
  }

  async addDecision(approvalId: string, write: DecisionWrite): Promise<ApprovalRecord | undefined> {
    const closes = write.status !== 'pending';
    try {
      const { Attributes } = await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: recordKey(approvalId),
          UpdateExpression:
            `SET #decisions = list_append(#decisions, :decision), #status = :next` +
            `${closes ? ', closedAt = :at' : ''} ADD #deciders :approverSet`,
          ConditionExpression:
            'attribute_exists(#pk) AND #status = :pending AND size(#decisions) = :seen ' +
            'AND NOT contains(#deciders, :approver)',
          ExpressionAttributeNames: {
            '#pk': PIPELINE_TABLE.partitionKey,
            '#status': 'status',
            '#decisions': 'decisions',
            '#deciders': 'deciders',
          },
          ExpressionAttributeValues: {
            ':decision': [write.decision],
            ':next': write.status,
            ':pending': 'pending',
            ':seen': write.seenDecisions,
            ':approver': write.decision.approver.toLowerCase(),
            ':approverSet': new Set([write.decision.approver.toLowerCase()]),
            ...(closes && { ':at': write.decision.at }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toRecord(Attributes) : undefined;
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return undefined;
      throw mapAwsError(error, `DynamoDB UpdateItem (decision) of the approval ${approvalId}`);
    }
  }

  async markExpired(approvalId: string, expiry: { at: number; reason: ExpiryReason }): Promise<boolean> {
    const from: ApprovalStatus[] =
      expiry.reason === 'timed-out' ? ['pending'] : ['pending', 'approved', 'rejected'];
    const placeholders = from.map((_, i) => `:from${i}`);
    return this.transition(approvalId, 'expired', {
      UpdateExpression: 'SET #status = :expired, closedAt = :at, expiredReason = :reason',
      ConditionExpression: `attribute_exists(#pk) AND #status IN (${placeholders.join(', ')})`,
      ExpressionAttributeValues: {
        ':expired': 'expired',
        ':at': expiry.at,
        ':reason': expiry.reason,
        ...Object.fromEntries(from.map((status, i) => [`:from${i}`, status])),
      },
    });
  }

  async markSuperseded(approvalId: string, at: number): Promise<boolean> {
    return this.transition(approvalId, 'superseded', {
      UpdateExpression: 'SET #status = :superseded, closedAt = :at',
      ConditionExpression: 'attribute_exists(#pk) AND #status = :pending',
      ExpressionAttributeValues: { ':superseded': 'superseded', ':at': at, ':pending': 'pending' },
    });
  }

  async markDelivered(approvalId: string, at: number): Promise<void> {
    await this.transition(approvalId, 'delivered', {
      UpdateExpression: 'SET deliveredAt = :at',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeValues: { ':at': at },
    });
  }

  async markNotified(approvalId: string, at: number): Promise<void> {
    await this.transition(approvalId, 'notified', {
      UpdateExpression: 'SET notifiedAt = :at',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeValues: { ':at': at },
    });
  }

  async recordRefusal(approvalId: string, refusal: ApprovalRefusal): Promise<void> {
    const kept = await this.transition(approvalId, 'refusal', {
      UpdateExpression: 'SET #refusals = list_append(#refusals, :refusal)',
      ConditionExpression: 'attribute_exists(#pk) AND size(#refusals) < :max',
      ExpressionAttributeNames: { '#refusals': 'refusals' },
      ExpressionAttributeValues: { ':refusal': [refusal], ':max': MAX_REFUSALS },
    });
    if (kept) return;
    // Full (or unknown id): count it, so the audit shows attempts went unrecorded.
    await this.transition(approvalId, 'refusal count', {
      UpdateExpression: 'ADD refusalsDropped :one',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeValues: { ':one': 1 },
    });
  }

  /** One conditional UpdateItem on a record: true when applied, false when the condition failed. */
  private async transition(
    approvalId: string,
    what: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: recordKey(approvalId),
          ...update,
          ExpressionAttributeNames: {
            '#pk': PIPELINE_TABLE.partitionKey,
            ...(update.UpdateExpression.includes('#status') && { '#status': 'status' }),
            ...update.ExpressionAttributeNames,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, ConditionalCheckFailedException)) return false;
      throw mapAwsError(error, `DynamoDB UpdateItem (${what}) of the approval ${approvalId}`);
    }
  }
}

function recordKey(approvalId: string): Record<string, string> {
  return { [PIPELINE_TABLE.partitionKey]: `APPROVAL#${approvalId}`, [PIPELINE_TABLE.sortKey]: RECORD_SK };
}

function stageKey(executionName: string, environment: string, region: string): Record<string, string> {
  return {
    [PIPELINE_TABLE.partitionKey]: `APPROVAL_STAGE#${executionName}`,
    [PIPELINE_TABLE.sortKey]: `${environment}#${region}`,
  };
}

/** The stored item as a domain record; the table-only attributes stay behind. */
function toRecord(item: Record<string, unknown>): ApprovalRecord {
  const text = (name: string): string => {
    const value = item[name];
    if (typeof value !== 'string') throw new Error(`approval item ${String(item.pk)}: ${name} is not text`);
    return value;
  };
  const number = (name: string): number => {
    const value = item[name];
    if (typeof value !== 'number')
      throw new Error(`approval item ${String(item.pk)}: ${name} is not a number`);
    return value;
  };
  const optional = <T>(name: string, kind: 'string' | 'number'): T | undefined =>
    typeof item[name] === kind ? (item[name] as T) : undefined;

  const createdBy = optional<string>('createdBy', 'string');
  const evidenceJson = optional<string>('evidenceJson', 'string');
  const notifiedAt = optional<number>('notifiedAt', 'number');
  const closedAt = optional<number>('closedAt', 'number');
  const deliveredAt = optional<number>('deliveredAt', 'number');
  const expiredReason = optional<ExpiryReason>('expiredReason', 'string');
  const refusalsDropped = optional<number>('refusalsDropped', 'number');
  return {
    approvalId: text('approvalId'),
    taskToken: text('taskToken'),
    executionName: text('executionName'),
    service: text('service'),
    version: text('version'),
    commit: text('commit'),
    digest: text('digest'),
    environment: text('environment'),
    region: text('region'),
    approvers: Array.isArray(item.approvers) ? (item.approvers as string[]) : [],
    minApprovals: number('minApprovals'),
    allowSelfApproval: item.allowSelfApproval === true,
    ...(createdBy !== undefined && { createdBy }),
    ...(evidenceJson !== undefined && { evidence: JSON.parse(evidenceJson) as unknown }),
    ...(item.migrates === true && { migrates: true }),
    timeoutSeconds: number('timeoutSeconds'),
    status: text('status') as ApprovalStatus,
    createdAt: number('createdAt'),
    expiresAt: number('expiresAtMs'),
    decisions: Array.isArray(item.decisions) ? (item.decisions as ApprovalDecision[]) : [],
    refusals: Array.isArray(item.refusals) ? (item.refusals as ApprovalRefusal[]) : [],
    ...(notifiedAt !== undefined && { notifiedAt }),
    ...(closedAt !== undefined && { closedAt }),
    ...(deliveredAt !== undefined && { deliveredAt }),
    ...(expiredReason !== undefined && { expiredReason }),
    ...(refusalsDropped !== undefined && { refusalsDropped }),
  };
}
