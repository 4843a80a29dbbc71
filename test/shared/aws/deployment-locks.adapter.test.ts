import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDeploymentLocks } from '../../../shared/aws/deployment-locks.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { DeploymentOrder } from '../../../shared/ports/deployment';

/**
 * The deployment lock adapter's request shapes and error paths, on a mocked SDK. Its behaviour (two
 * executions never both hold the lock, supersede rules) runs against dynalite in `stage-lock.test.ts`;
 * DynamoDB failing under the lock cannot be made to happen there.
 */
describe('DynamoDeploymentLocks (mocked SDK)', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const locks = new DynamoDeploymentLocks({ tableName: 'pipeline', client });
  const key = { service: 'orders-api', environment: 'ppe' };
  const lockKey = { pk: 'LOCK#orders-api#ppe', sk: 'LOCK' };
  const order = (owner: string, version = 'sha-1111111'): DeploymentOrder => ({
    kind: 'push',
    version,
    at: '2026-11-30T10:00:00.000Z',
    owner,
  });
  const throttled = (): ProvisionedThroughputExceededException =>
    new ProvisionedThroughputExceededException({
      $metadata: { httpStatusCode: 400, requestId: 'req-1' },
      message: 'Throughput exceeded',
    });
  const conditionFailed = (): ConditionalCheckFailedException =>
    new ConditionalCheckFailedException({
      $metadata: { httpStatusCode: 400 },
      message: 'The condition failed',
    });

  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  describe('acquire', () => {
    it('when the lock is free, it takes it in one conditional update that keeps the first holder start', async () => {
      // Prepare
      documents.on(UpdateCommand).resolves({ Attributes: { owner: 'exec-1' } });

      // Act
      const result = await locks.acquire(key, 'exec-1', 5_000, 1_000);

      // Assess
      expect(result).toEqual({ acquired: true });
      expect(documents).toReceiveCommandTimes(UpdateCommand, 1);
      expect(documents).toReceiveCommandWith(UpdateCommand, {
        TableName: 'pipeline',
        Key: lockKey,
        UpdateExpression: 'SET #owner = :owner, #lease = :lease, #since = if_not_exists(#since, :now)',
        ConditionExpression: 'attribute_not_exists(#owner) OR #owner = :owner OR #lease < :now',
        ExpressionAttributeNames: { '#owner': 'owner', '#lease': 'leaseUntil', '#since': 'since' },
        ExpressionAttributeValues: { ':owner': 'exec-1', ':lease': 5_000, ':now': 1_000 },
        ReturnValues: 'ALL_NEW',
      });
      expect(documents).not.toReceiveCommand(GetCommand);
    });

    it('when it takes the lock, it hands back the last deployed and the waiting order the item holds', async () => {
      // Prepare
      const last = order('exec-0', 'sha-0000000');
      const waiting = order('exec-2', 'sha-2222222');
      documents.on(UpdateCommand).resolves({ Attributes: { owner: 'exec-1', last, waiting } });

      // Act
      const result = await locks.acquire(key, 'exec-1', 5_000, 1_000);

      // Assess
      expect(result).toEqual({ acquired: true, last, waiting });
    });

    it('when another execution holds it, it reads the holder consistently and names it with its start', async () => {
      // Prepare
      const waiting = order('exec-3');
      documents.on(UpdateCommand).rejects(conditionFailed());
      documents.on(GetCommand).resolves({ Item: { owner: 'exec-9', since: 700, waiting } });

      // Act
      const result = await locks.acquire(key, 'exec-1', 5_000, 1_000);

      // Assess
      expect(result).toEqual({ acquired: false, holder: 'exec-9', since: 700, waiting });
      expect(documents).toReceiveCommandWith(GetCommand, {
        TableName: 'pipeline',
        Key: lockKey,
        ConsistentRead: true,
      });
    });

    it('when the holder released the lock between the update and the read, it reports "another execution" since now', async () => {
      // Prepare
      documents.on(UpdateCommand).rejects(conditionFailed());
      documents.on(GetCommand).resolves({});

      // Act
      const result = await locks.acquire(key, 'exec-1', 5_000, 1_000);

      // Assess
      expect(result).toEqual({ acquired: false, holder: 'another execution', since: 1_000 });
    });

    it.each([
      ['the conditional update', UpdateCommand, 'DynamoDB UpdateItem of the deployment lock orders-api/ppe'],
      ['the read of the holder', GetCommand, 'DynamoDB GetItem of the deployment lock orders-api/ppe'],
    ] as const)(
      'when DynamoDB throttles %s, it throws AwsTransientError naming the call and the lock',
      async (_what, command, context) => {
        // Prepare
        documents.on(UpdateCommand).rejects(conditionFailed());
        documents.on(command).rejects(throttled());

        // Act
        const result = locks.acquire(key, 'exec-1', 5_000, 1_000);

        // Assess
        await expect(result).rejects.toThrow(AwsTransientError);
        await expect(result).rejects.toThrow(`${context} throttled`);
      },
    );

    it('when the update fails with an error that is not transient, it passes that error on unchanged', async () => {
      // Prepare
      const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      documents.on(UpdateCommand).rejects(denied);

      // Act
      const result = locks.acquire(key, 'exec-1', 5_000, 1_000);

      // Assess
      await expect(result).rejects.toThrow('not authorized');
      expect(documents).not.toReceiveCommand(GetCommand);
    });
  });

  describe('markWaiting', () => {
    it('when nobody waits yet, it notes the order only if no waiter appeared meanwhile', async () => {
      // Prepare
      documents.on(UpdateCommand).resolves({});

      // Act
      const marked = await locks.markWaiting(key, order('exec-2'));

      // Assess
      expect(marked).toBe(true);
      expect(documents).toReceiveCommandWith(UpdateCommand, {
        TableName: 'pipeline',
        Key: lockKey,
        UpdateExpression: 'SET #waiting = :order',
        ConditionExpression: 'attribute_not_exists(#waiting)',
        ExpressionAttributeNames: { '#waiting': 'waiting' },
        ExpressionAttributeValues: { ':order': order('exec-2') },
      });
    });

    it('when it replaces a waiter, it writes only while that waiter is still the one noted', async () => {
      // Prepare
      documents.on(UpdateCommand).resolves({});

      // Act
      const marked = await locks.markWaiting(key, order('exec-3'), order('exec-2'));

      // Assess
      expect(marked).toBe(true);
      expect(documents).toReceiveCommandWith(UpdateCommand, {
        ConditionExpression: '#waiting.#owner = :replacing',
        ExpressionAttributeNames: { '#waiting': 'waiting', '#owner': 'owner' },
        ExpressionAttributeValues: { ':order': order('exec-3'), ':replacing': 'exec-2' },
      });
    });

    it('when another waiter changed it first, it returns false', async () => {
      // Prepare
      documents.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const marked = await locks.markWaiting(key, order('exec-3'), order('exec-2'));

      // Assess
      expect(marked).toBe(false);
    });

    it('when DynamoDB throttles, it throws AwsTransientError naming the waiting deployment', async () => {
      // Prepare
      documents.on(UpdateCommand).rejects(throttled());

      // Act
      const result = locks.markWaiting(key, order('exec-3'));

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(
        'DynamoDB UpdateItem of the waiting deployment of orders-api/ppe throttled',
      );
    });
  });

  describe('release', () => {
    it('when nothing was deployed, it frees the lock only if the caller holds it and leaves `last` alone', async () => {
      // Prepare
      documents.on(UpdateCommand).resolves({});

      // Act
      await locks.release(key, 'exec-1');

      // Assess
      expect(documents).toReceiveCommandWith(UpdateCommand, {
        TableName: 'pipeline',
        Key: lockKey,
        UpdateExpression: 'REMOVE #owner, #lease, #since',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#lease': 'leaseUntil', '#since': 'since' },
        ExpressionAttributeValues: { ':owner': 'exec-1' },
      });
    });

    it('when a version was deployed, it frees the lock and records that version as the last one', async () => {
      // Prepare
      documents.on(UpdateCommand).resolves({});

      // Act
      await locks.release(key, 'exec-1', order('exec-1'));

      // Assess
      expect(documents).toReceiveCommandWith(UpdateCommand, {
        UpdateExpression: 'REMOVE #owner, #lease, #since SET #last = :last',
        ExpressionAttributeNames: {
          '#owner': 'owner',
          '#lease': 'leaseUntil',
          '#since': 'since',
          '#last': 'last',
        },
        ExpressionAttributeValues: { ':owner': 'exec-1', ':last': order('exec-1') },
      });
    });

    it('when the lock is no longer the caller’s (released already, or taken after its lease), it returns quietly', async () => {
      // Prepare
      documents.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const result = locks.release(key, 'exec-1');

      // Assess
      await expect(result).resolves.toBeUndefined();
    });

    it('when DynamoDB throttles, it throws AwsTransientError naming the lock', async () => {
      // Prepare
      documents.on(UpdateCommand).rejects(throttled());

      // Act
      const result = locks.release(key, 'exec-1');

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(
        'DynamoDB UpdateItem releasing the deployment lock orders-api/ppe throttled',
      );
    });
  });
});
