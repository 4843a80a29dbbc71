import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isAwsError, mapAwsError } from './aws-errors';
import {
  itemKey,
  PIPELINE_TABLE,
  queryPartition,
  tableOf,
  ttlSeconds,
  type PipelineTableOptions,
} from './pipeline-table';

/**
 * How one kind of task-token waiter lies in the pipeline table: its partition, the sort key of one waiter,
 * and the item's attributes both ways. The key and TTL attributes are the table's; the codec gives the rest.
 */
export interface TaskTokenWaiterCodec<W, K> {
  /** The partition every waiter of this kind shares (`DEPLOYMENT_WAITER`, `BAKE_WATCH`, …). */
  partition: string;
  sortKey(key: K): string;
  /** The item's own attributes; `taskToken` must be among them (removal is conditional on it). */
  toItem(waiter: W): Record<string, unknown>;
  fromItem(item: Record<string, unknown>): W;
  /** Epoch ms after which DynamoDB's TTL may delete the item (the sweep drops expired waiters before). */
  deleteAfter(waiter: W): number;
  /** What the errors name: `the waiter for deployment ecs-svc/1`. */
  describe(key: K): string;
  /** What a failed Query names: `the deployment waiters`. */
  plural: string;
}

export type TaskTokenWaitersOptions = PipelineTableOptions & {
  /** Items per Query page for `list`; defaults to DynamoDB's own 1 MB pages. Tests set it to see paging. */
  pageSize?: number;
};

/** One kind of waiter in the pipeline table: where, and how its items read. Made by {@link taskTokenWaiters}. */
export interface TaskTokenWaiters<W, K> {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly pageSize: number | undefined;
  readonly codec: TaskTokenWaiterCodec<W, K>;
}

/**
 * Steps parked on a task token until an event (or the sweep) answers them: the deployment waiters, the
 * bake watches and the migration waiters are each one partition of the pipeline table, listed with one
 * Query, and put, read, taken and removed the same way. This is that way, once; each store is a typed use
 * of it with its own codec (its item shapes and keys stay as they were written). Plain functions rather
 * than a class, so that a function's bundle holds only the DynamoDB commands its store calls (its role
 * allows exactly those: test/infrastructure/function-roles.test.ts).
 *
 * - {@link putWaiter} is unconditional: a retried step comes with a new token, the old one belongs to an
 *   attempt Step Functions has given up on.
 * - {@link removeWaiter} is conditional on the token, so a retried step's newer waiter survives the end of
 *   the older.
 * - {@link takeWaiter} is a conditional delete returning the old item, which DynamoDB applies once: of an
 *   event and the sweep racing for the same waiter, exactly one gets it.
 * - {@link updateWaiter} sets attributes of a waiter only while it exists (one removed stays removed).
 */
export function taskTokenWaiters<W, K>(
  options: TaskTokenWaitersOptions,
  codec: TaskTokenWaiterCodec<W, K>,
): TaskTokenWaiters<W, K> {
  const table = tableOf(options);
  return { documents: table.documents, tableName: table.name, pageSize: options.pageSize, codec };
}

export async function putWaiter<W, K>(waiters: TaskTokenWaiters<W, K>, key: K, waiter: W): Promise<void> {
  const { codec } = waiters;
  try {
    await waiters.documents.send(
      new PutCommand({
        TableName: waiters.tableName,
        Item: {
          ...keyOf(waiters, key),
          ...codec.toItem(waiter),
          [PIPELINE_TABLE.ttlAttribute]: ttlSeconds(codec.deleteAfter(waiter)),
        },
      }),
    );
  } catch (error) {
    throw mapAwsError(error, `DynamoDB PutItem of ${codec.describe(key)}`);
  }
}

export async function getWaiter<W, K>(waiters: TaskTokenWaiters<W, K>, key: K): Promise<W | undefined> {
  try {
    const { Item } = await waiters.documents.send(
      new GetCommand({ TableName: waiters.tableName, Key: keyOf(waiters, key), ConsistentRead: true }),
    );
    return Item ? waiters.codec.fromItem(Item) : undefined;
  } catch (error) {
    throw mapAwsError(error, `DynamoDB GetItem of ${waiters.codec.describe(key)}`);
  }
}

/** Every waiter of the kind, every page. */
export async function listWaiters<W, K>(waiters: TaskTokenWaiters<W, K>): Promise<W[]> {
  try {
    const items = await queryPartition(waiters.documents, waiters.tableName, {
      partition: waiters.codec.partition,
      ...(waiters.pageSize !== undefined && { pageSize: waiters.pageSize }),
    });
    return items.map((item) => waiters.codec.fromItem(item));
  } catch (error) {
    throw mapAwsError(error, `DynamoDB Query of ${waiters.codec.plural}`);
  }
}

/** Removes the waiter and returns it, to one caller only; undefined when there is none (any more). */
export async function takeWaiter<W, K>(waiters: TaskTokenWaiters<W, K>, key: K): Promise<W | undefined> {
  try {
    const { Attributes } = await waiters.documents.send(
      new DeleteCommand({
        TableName: waiters.tableName,
        Key: keyOf(waiters, key),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PIPELINE_TABLE.partitionKey },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? waiters.codec.fromItem(Attributes) : undefined;
  } catch (error) {
    if (isAwsError(error, ConditionalCheckFailedException)) return undefined;
    throw mapAwsError(error, `DynamoDB DeleteItem of ${waiters.codec.describe(key)}`);
  }
}

/** Removes the waiter only while it holds `taskToken`; nothing to remove is not an error. */
export async function removeWaiter<W, K>(
  waiters: TaskTokenWaiters<W, K>,
  key: K,
  taskToken: string,
): Promise<void> {
  try {
    await waiters.documents.send(
      new DeleteCommand({
        TableName: waiters.tableName,
        Key: keyOf(waiters, key),
        ConditionExpression: 'taskToken = :token',
        ExpressionAttributeValues: { ':token': taskToken },
      }),
    );
  } catch (error) {
    // Gone already, or a retried step stored a new token: either way this token's waiter is done.
    if (isAwsError(error, ConditionalCheckFailedException)) return;
    throw mapAwsError(error, `DynamoDB DeleteItem of ${waiters.codec.describe(key)}`);
  }
}

/** Sets `attributes` on the stored waiter; false when there is none (not an error). */
export async function updateWaiter<W, K>(
  waiters: TaskTokenWaiters<W, K>,
  key: K,
  attributes: Record<string, unknown>,
): Promise<boolean> {
  const names = Object.keys(attributes);
  try {
    await waiters.documents.send(
      new UpdateCommand({
        TableName: waiters.tableName,
        Key: keyOf(waiters, key),
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
        // Never recreate a waiter that was settled and removed: it would wait for what already ended.
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#pk': PIPELINE_TABLE.partitionKey,
          ...Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        },
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:a${i}`, attributes[name]])),
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, ConditionalCheckFailedException)) return false;
    throw mapAwsError(error, `DynamoDB UpdateItem of ${waiters.codec.describe(key)}`);
  }
}

function keyOf<W, K>(waiters: TaskTokenWaiters<W, K>, key: K): Record<string, string> {
  return itemKey(waiters.codec.partition, waiters.codec.sortKey(key));
}
