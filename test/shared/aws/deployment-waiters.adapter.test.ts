import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeploymentWaiterStore } from '../../../shared/aws/deployment-waiters.adapter';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import type { DeploymentWaiter } from '../../../shared/ports/deployment';
import { startDynalite, type LocalDynamo } from './dynalite';

const EXPIRES_AT = Date.UTC(2026, 0, 1, 14, 0, 0, 250);

function waiter(deploymentId: string, taskToken = `token-for-${deploymentId}`): DeploymentWaiter {
  return {
    deploymentId,
    taskToken,
    target: { region: 'eu-west-1', cluster: 'prod', service: 'api' },
    expiresAt: EXPIRES_AT,
  };
}

describe('DynamoDeploymentWaiterStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  let tableNumber = 0;
  let tableName: string;
  let store: DynamoDeploymentWaiterStore;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  // A table per test: list() reads the whole waiter partition.
  beforeEach(async () => {
    tableName = `waiters-${++tableNumber}`;
    await createPipelineTable(dynamo.client, tableName);
    store = new DynamoDeploymentWaiterStore({ tableName, client: dynamo.client });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when a waiter is put, get returns it as stored', async () => {
    // Prepare
    await store.put(waiter('ecs-svc/1'));

    // Act
    const stored = await store.get('ecs-svc/1');

    // Assess
    expect(stored).toEqual(waiter('ecs-svc/1'));
  });

  it('when a retried step puts a new token, it replaces the old one', async () => {
    // Prepare
    await store.put(waiter('ecs-svc/1', 'first-attempt'));

    // Act
    await store.put(waiter('ecs-svc/1', 'second-attempt'));

    // Assess
    expect((await store.get('ecs-svc/1'))?.taskToken).toBe('second-attempt');
  });

  it('when remove names the stored token, it deletes the waiter; a newer token or none is left alone', async () => {
    // Prepare
    await store.put(waiter('ecs-svc/1', 'answered'));
    await store.put(waiter('ecs-svc/2', 'retried-attempt'));

    // Act
    await store.remove('ecs-svc/1', 'answered');
    await store.remove('ecs-svc/2', 'first-attempt');
    await store.remove('ecs-svc/none', 'any');

    // Assess
    expect(await store.get('ecs-svc/1')).toBeUndefined();
    expect((await store.get('ecs-svc/2'))?.taskToken).toBe('retried-attempt');
  });

  it('when it stores a waiter, it keeps expiry in ms and sets the TTL attribute in seconds', async () => {
    // Act
    await store.put(waiter('ecs-svc/1'));

    // Assess
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'DEPLOYMENT_WAITER' }, sk: { S: 'ecs-svc/1' } },
      }),
    );
    expect(Item?.expiresAtMs).toEqual({ N: String(EXPIRES_AT) });
    expect(Item?.expiresAt).toEqual({ N: String(Math.ceil(EXPIRES_AT / 1000)) });
  });

  it('when the waiter exists, take returns it and removes it', async () => {
    // Prepare
    await store.put(waiter('ecs-svc/1'));

    // Act
    const taken = await store.take('ecs-svc/1');

    // Assess
    expect(taken).toEqual(waiter('ecs-svc/1'));
    expect(await store.get('ecs-svc/1')).toBeUndefined();
    expect(await store.take('ecs-svc/1')).toBeUndefined();
  });

  it('when 20 callers race to take the same waiter, exactly one gets it', async () => {
    // Prepare
    await store.put(waiter('ecs-svc/race'));

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('ecs-svc/race')));

    // Assess
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toEqual([waiter('ecs-svc/race')]);
  });

  it('when there is no such waiter, get and take return undefined', async () => {
    // Act
    const [got, taken] = [await store.get('ecs-svc/none'), await store.take('ecs-svc/none')];

    // Assess
    expect(got).toBeUndefined();
    expect(taken).toBeUndefined();
  });

  it('when the waiters span several pages, list returns all of them', async () => {
    // Prepare
    const paged = new DynamoDeploymentWaiterStore({ tableName, client: dynamo.client, pageSize: 2 });
    const ids = ['ecs-svc/1', 'ecs-svc/2', 'ecs-svc/3', 'ecs-svc/4', 'ecs-svc/5'];
    for (const id of ids) await paged.put(waiter(id));
    // The SDK's paginator reuses one input object for every page: copy what each request asked.
    const startKeys: unknown[] = [];
    const send = DynamoDBDocumentClient.prototype.send;
    const spy = jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (
      this: DynamoDBDocumentClient,
      ...args: unknown[]
    ) {
      const [command] = args;
      if (command instanceof QueryCommand) startKeys.push(structuredClone(command.input.ExclusiveStartKey));
      return (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as typeof send);

    // Act
    const listed = await paged.list();

    // Assess
    spy.mockRestore();
    expect(startKeys).toEqual([
      undefined,
      { pk: 'DEPLOYMENT_WAITER', sk: 'ecs-svc/2' },
      { pk: 'DEPLOYMENT_WAITER', sk: 'ecs-svc/4' },
    ]);
    expect(listed.map((w) => w.deploymentId)).toEqual(ids);
    expect(listed[0]).toEqual(waiter('ecs-svc/1'));
  });

  it('when no waiter is pending, list returns an empty list', async () => {
    // Act
    const listed = await store.list();

    // Assess
    expect(listed).toEqual([]);
  });
});
