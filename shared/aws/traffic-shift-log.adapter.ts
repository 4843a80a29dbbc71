import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../clock';
import type { ShiftProgress } from '../domain/traffic-shift';
import { shiftProgressSchema } from '../domain/traffic-shift-hook';
import type { StageKey } from '../ports/deployment';
import type { TrafficShiftLog } from '../ports/traffic-shift';
import { isAwsError, mapAwsError } from './aws-errors';
import { PIPELINE_TABLE, tableOf, ttlSeconds, type PipelineTableOptions } from './pipeline-table';

export type DynamoTrafficShiftLogOptions = PipelineTableOptions & {
  /** Stamps the TTL; defaults to the wall clock. */
  clock?: Clock;
};

/** As long as the stage records: the shift is part of the stage's evidence and its investigation. */
const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * How far a progress has got: each judged window adds a record, and the end (shifted or failed) comes
 * after the windows it ends. A later call of the hook for the same shift never has a lower rank.
 */
export function shiftRank(progress: ShiftProgress): number {
  return progress.records.length * 2 + (progress.status === 'shifting' ? 0 : 1);
}

/**
 * When the shift began: green's first weight (the first window's start, or the first step's start before
 * any window). A redriven stage shifts again under the same stage key: its progress begins later.
 */
export function shiftStartedAt(progress: ShiftProgress): number {
  return progress.records[0]?.from ?? progress.stepStartedAt;
}

/**
 * Each stage's traffic shift as the hook last left it, in the pipeline table: one item per execution and
 * stage (`TRAFFIC_SHIFT#<execution>`, `<environment>#<region>`), replaced by every call of the hook.
 *
 * ECS calls the hook again and again, and Lambda may deliver a call twice or late, so the put is
 * conditional: the progress only grows. A write whose shift began earlier than the stored one (an older
 * deployment of a redriven stage) or that has fewer judged windows than the stored one (a late call) is
 * refused, silently: the newer progress stays. The same progress written twice is no error. Items expire
 * after 90 days, with the stage records.
 */
export class DynamoTrafficShiftLog implements TrafficShiftLog {
  private readonly documents: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  constructor(options: DynamoTrafficShiftLogOptions) {
    const table = tableOf(options);
    this.documents = table.documents;
    this.tableName = table.name;
    this.clock = options.clock ?? systemClock;
  }

  async record(key: StageKey, progress: ShiftProgress): Promise<void> {
    const now = this.clock.now();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keyOf(key),
            ...key,
            progress,
            shiftStartedAt: shiftStartedAt(progress),
            shiftRank: shiftRank(progress),
            recordedAt: now,
            [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(now + RETENTION_MS),
          },
          ConditionExpression:
            'attribute_not_exists(#pk) OR #started < :started OR (#started = :started AND #rank <= :rank)',
          ExpressionAttributeNames: {
            '#pk': PIPELINE_TABLE.partitionKey,
            '#started': 'shiftStartedAt',
            '#rank': 'shiftRank',
          },
          ExpressionAttributeValues: {
            ':started': shiftStartedAt(progress),
            ':rank': shiftRank(progress),
          },
        }),
      );
    } catch (error) {
      // A newer progress of this stage is stored: it stays.
      if (isAwsError(error, ConditionalCheckFailedException)) return;
      throw mapAwsError(error, `DynamoDB PutItem of the traffic shift of ${describe(key)}`);
    }
  }

  async get(key: StageKey): Promise<ShiftProgress | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      ({ Item: item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }),
      ));
    } catch (error) {
      throw mapAwsError(error, `DynamoDB GetItem of the traffic shift of ${describe(key)}`);
    }
    if (!item) return undefined;
    const parsed = shiftProgressSchema.safeParse(item.progress);
    if (!parsed.success)
      throw new Error(
        `the traffic shift of ${describe(key)} in table ${this.tableName} is not one the hook wrote ` +
          `(${parsed.error.issues.map((i) => `${i.path.join('.') || 'progress'}: ${i.message}`).join('; ')}); ` +
          'delete the item to let the next call of the hook write it again',
      );
    return parsed.data;
  }
}

function keyOf(key: StageKey): Record<string, string> {
  return {
    [PIPELINE_TABLE.partitionKey]: `TRAFFIC_SHIFT#${key.executionName}`,
    [PIPELINE_TABLE.sortKey]: `${key.environment}#${key.region}`,
  };
}

function describe(key: StageKey): string {
  return `${key.executionName}/${key.environment}/${key.region}`;
}
