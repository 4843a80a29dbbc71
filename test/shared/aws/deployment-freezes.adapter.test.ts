import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDeploymentFreezes } from '../../../shared/aws/deployment-freezes.adapter';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { AwsTransientError } from '../../../shared/domain/errors';
import { startDynalite, type LocalDynamo } from './dynalite';
import { sdkError } from '../../helpers/sdk-errors';

const TABLE = 'pipeline-test';
const AT = Date.UTC(2026, 0, 9, 11);
const HOUR = 3600_000;

describe('DynamoDeploymentFreezes (dynalite)', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  /** A fresh table per test: freezes share one partition, so tests would otherwise see each other's. */
  async function freshStore(name: string): Promise<DynamoDeploymentFreezes> {
    await createPipelineTable(dynamo.client, `${TABLE}-${name}`);
    return new DynamoDeploymentFreezes({ tableName: `${TABLE}-${name}`, client: dynamo.client });
  }

  it('when an environment is frozen, current and list return the freeze and other environments stay open', async () => {
    // Prepare
    const freezes = await freshStore('frozen');

    // Act
    const stored = await freezes.freeze('prod', { reason: 'incident 4711', by: 'alice@example.com', at: AT });

    // Assess
    const expected = { environment: 'prod', reason: 'incident 4711', by: 'alice@example.com', at: AT };
    expect(stored).toEqual(expected);
    expect(await freezes.current('prod', AT + HOUR)).toEqual(expected);
    expect(await freezes.current('staging', AT + HOUR)).toBeUndefined();
    expect(await freezes.list(AT + HOUR)).toEqual([expected]);
  });

  it('when an environment is frozen again, the new freeze replaces the old one', async () => {
    // Prepare
    const freezes = await freshStore('refrozen');
    await freezes.freeze('prod', { reason: 'incident 4711', by: 'alice@example.com', at: AT });

    // Act
    await freezes.freeze('prod', { reason: 'holiday', by: 'bob@example.com', at: AT + HOUR });

    // Assess
    expect(await freezes.list(AT + HOUR)).toEqual([
      { environment: 'prod', reason: 'holiday', by: 'bob@example.com', at: AT + HOUR },
    ]);
  });

  it('when unfrozen, it returns the lifted freeze once and the environment is open again', async () => {
    // Prepare
    const freezes = await freshStore('unfrozen');
    await freezes.freeze('prod', { reason: 'incident 4711', by: 'alice@example.com', at: AT });

    // Act
    const lifted = await freezes.unfreeze('prod', { by: 'bob@example.com', at: AT + HOUR });
    const again = await freezes.unfreeze('prod', { by: 'bob@example.com', at: AT + 2 * HOUR });

    // Assess
    expect(lifted).toMatchObject({ environment: 'prod', reason: 'incident 4711' });
    expect(again).toBeUndefined();
    expect(await freezes.current('prod', AT + HOUR)).toBeUndefined();
    expect(await freezes.list(AT + HOUR)).toEqual([]);
  });

  it('when a freeze was given an end, it holds until then and not after', async () => {
    // Prepare
    const freezes = await freshStore('until');
    await freezes.freeze('prod', { reason: 'release weekend', by: 'alice', at: AT, until: AT + HOUR });
    await freezes.freeze('staging', { reason: 'migration', by: 'alice', at: AT });

    // Act
    const during = await freezes.current('prod', AT + HOUR - 1);
    const after = await freezes.current('prod', AT + HOUR);

    // Assess
    expect(during).toMatchObject({ until: AT + HOUR });
    expect(after).toBeUndefined();
    expect((await freezes.list(AT + HOUR)).map((f) => f.environment)).toEqual(['staging']);
  });
});

describe('DynamoDeploymentFreezes (mocked SDK)', () => {
  // Mocked only while this block runs: the mock patches every document client, dynalite's too.
  let documents: ReturnType<typeof mockClient>;
  beforeAll(() => {
    documents = mockClient(DynamoDBDocumentClient);
  });
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const freezes = new DynamoDeploymentFreezes({ tableName: 'pipeline', client });
  const throttled = () => sdkError(ProvisionedThroughputExceededException, { message: 'slow down' });

  beforeEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('when DynamoDB throttles the gate read, it throws AwsTransientError naming the environment', async () => {
    // Prepare
    documents.on(GetCommand).rejects(throttled());

    // Act
    const result = freezes.current('prod', AT);

    // Assess
    await expect(result).rejects.toThrow(AwsTransientError);
    await expect(result).rejects.toThrow(/freeze of prod throttled/);
  });

  it('when it reads the freeze, it reads consistently by the environment key', async () => {
    // Prepare
    documents.on(GetCommand).resolves({});

    // Act
    await freezes.current('prod', AT);

    // Assess
    expect(documents).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'pipeline',
      Key: { pk: 'FREEZES', sk: 'ENV#prod' },
      ConsistentRead: true,
    });
  });

  it('when DynamoDB throttles an unfreeze or a list, the error is transient and nothing is reported lifted', async () => {
    // Prepare
    documents.on(DeleteCommand).rejects(throttled());
    documents.on(QueryCommand).rejects(throttled());

    // Act
    const unfreezing = freezes.unfreeze('prod', { by: 'bob', at: AT });
    const listing = freezes.list(AT);

    // Assess
    await expect(unfreezing).rejects.toThrow(AwsTransientError);
    await expect(listing).rejects.toThrow(AwsTransientError);
  });

  it('when DynamoDB rejects a freeze for a non-transient reason, the error surfaces unchanged', async () => {
    // Prepare
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    documents.onAnyCommand().rejects(denied);

    // Act
    const result = freezes.freeze('prod', { reason: 'r', by: 'alice', at: AT });

    // Assess
    await expect(result).rejects.toThrow('not authorized');
    await expect(result).rejects.not.toThrow(AwsTransientError);
  });
});
