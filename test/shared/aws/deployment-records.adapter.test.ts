import { mockClient } from 'aws-sdk-client-mock';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { DynamoDeploymentRecords } from '../../../shared/aws/deployment-records.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import { rejectionOf } from '../../support/fakes';
import { startDynalite, type LocalDynamo } from './dynalite';

const TABLE = 'pipeline-test';
const AT = Date.UTC(2026, 10, 1, 9);
const DIGEST = `sha256:${'a'.repeat(64)}`;

function record(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    service: 'orders-api',
    environment: 'production',
    region: 'eu-west-1',
    version: 'v1.4.0',
    commit: '4b825dc642cb',
    digest: DIGEST,
    execution: 'release-orders-api-v1.4.0',
    kind: 'deploy',
    outcome: 'deployed',
    triggeredBy: 'tag v1.4.0 by alice@example.com',
    at: AT,
    ...overrides,
  };
}

describe('DynamoDeploymentRecords (dynalite)', () => {
  let dynamo: LocalDynamo;
  let records: DynamoDeploymentRecords;

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
  });

  beforeEach(async () => {
    // A table per test would be slow to create; a service name per test keeps them apart instead.
    records = new DynamoDeploymentRecords({ tableName: TABLE, client: dynamo.client });
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when stages deploy, history lists every record newest first and running holds the last deploy per region', async () => {
    // Prepare
    const service = 'history-and-running';
    await records.put(record({ service, version: 'v1.3.0', execution: 'release-v1.3.0', at: AT }));
    await records.put(record({ service, region: 'us-east-1', execution: 'release-v1.3.0', at: AT + 1 }));
    await records.put(record({ service, version: 'v1.4.0', execution: 'release-v1.4.0', at: AT + 2 }));

    // Act
    const history = await records.history(service);
    const running = await records.running(service);

    // Assess
    expect(history.map((r) => [r.region, r.version, r.at])).toEqual([
      ['eu-west-1', 'v1.4.0', AT + 2],
      ['us-east-1', 'v1.4.0', AT + 1],
      ['eu-west-1', 'v1.3.0', AT],
    ]);
    expect(running.map((r) => [r.region, r.version]).sort()).toEqual([
      ['eu-west-1', 'v1.4.0'],
      ['us-east-1', 'v1.4.0'],
    ]);
  });

  it('when a step is retried, its second put of the same record says it did not create it', async () => {
    // Prepare
    const service = 'retried-put';

    // Act
    const first = await records.put(record({ service }));
    const retried = await records.put(record({ service, at: AT + 1 }));
    const next = await records.put(record({ service, region: 'us-east-1' }));

    // Assess
    expect([first, retried, next]).toEqual([{ created: true }, { created: false }, { created: true }]);
    expect(await records.history(service)).toHaveLength(2);
  });

  it('when read by time, it gives the records of the span only, through the time index', async () => {
    // Prepare
    const service = 'by-time';
    for (const hours of [0, 1, 2, 3])
      await records.put(record({ service, execution: `release-${hours}`, at: AT + hours * 3_600_000 }));

    // Act
    const span = await records.recordedBetween(service, { from: AT + 3_600_000, to: AT + 2 * 3_600_000 });

    // Assess
    expect(span.map((r) => r.execution).sort()).toEqual(['release-1', 'release-2']);
  });

  it('when the table has no time index (a data directory from before it), it reads the history and filters it', async () => {
    // Prepare
    const table = 'pipeline-without-time-index';
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const old = new DynamoDeploymentRecords({ tableName: table, client: dynamo.client });
    await old.put(record({ execution: 'release-0', at: AT }));
    await old.put(record({ execution: 'release-1', at: AT + 3_600_000 }));

    // Act
    const span = await old.recordedBetween('orders-api', { from: AT + 1, to: AT + 3_600_000 });

    // Assess
    expect(span.map((r) => r.execution)).toEqual(['release-1']);
  });

  it('when a stage fails and rolls back, the record is kept but what runs stays the previous deploy', async () => {
    // Prepare
    const service = 'rolled-back';
    await records.put(record({ service, version: 'v1.3.0', execution: 'release-v1.3.0' }));

    // Act
    await records.put(record({ service, execution: 'release-v1.4.0', outcome: 'rolled back', at: AT + 5 }));

    // Assess
    expect((await records.running(service)).map((r) => r.version)).toEqual(['v1.3.0']);
    expect((await records.history(service)).map((r) => r.outcome)).toEqual(['rolled back', 'deployed']);
  });

  it('when a step is retried, its record is written once (the same execution, stage and outcome)', async () => {
    // Prepare
    const service = 'retried';
    await records.put(record({ service, at: AT }));

    // Act
    await records.put(record({ service, at: AT + 30_000 }));

    // Assess
    const history = await records.history(service);
    expect(history).toHaveLength(1);
    expect(history[0]!.at).toBe(AT + 30_000);
  });

  it('when a late retry of an older deploy arrives after a newer one, what runs keeps the newer one', async () => {
    // Prepare
    const service = 'late-retry';
    await records.put(record({ service, version: 'v1.4.0', execution: 'newer', at: AT + 10 }));

    // Act
    await records.put(record({ service, version: 'v1.3.0', execution: 'older', at: AT + 5 }));

    // Assess
    expect((await records.running(service)).map((r) => r.version)).toEqual(['v1.4.0']);
    expect(await records.history(service)).toHaveLength(2);
  });

  it('when asked for one environment/region, runningIn reads what runs there only, and nothing where none ran', async () => {
    // Prepare
    const service = 'running-in';
    await records.put(record({ service, version: 'v1.3.0', execution: 'release-v1.3.0', at: AT }));
    await records.put(record({ service, version: 'v1.4.0', execution: 'release-v1.4.0', at: AT + 1 }));
    await records.put(record({ service, region: 'us-east-1', version: 'v1.3.0', at: AT + 2 }));
    await records.put(record({ service, execution: 'release-v1.5.0', outcome: 'rolled back', at: AT + 3 }));

    // Act
    const euWest = await records.runningIn(service, { environment: 'production', region: 'eu-west-1' });
    const usEast = await records.runningIn(service, { environment: 'production', region: 'us-east-1' });
    const staging = await records.runningIn(service, { environment: 'staging', region: 'eu-west-1' });

    // Assess
    expect(euWest).toEqual(record({ service, version: 'v1.4.0', execution: 'release-v1.4.0', at: AT + 1 }));
    expect(usEast).toMatchObject({ region: 'us-east-1', version: 'v1.3.0' });
    expect(staging).toBeUndefined();
  });
});

describe('DynamoDeploymentRecords (mocked DynamoDB)', () => {
  it('when DynamoDB throttles, it fails with AwsTransientError naming what it read', async () => {
    // Prepare
    const documents = mockClient(DynamoDBDocumentClient);
    documents
      .on(QueryCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const records = new DynamoDeploymentRecords({
      tableName: TABLE,
      client: new DynamoDBClient({ region: 'eu-west-1' }),
    });

    // Act
    const error = await rejectionOf(records.history('orders-api'));

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toContain('deployment records of orders-api');
    documents.restore();
  });

  it('when DynamoDB throttles the read of what runs in one region, it fails with AwsTransientError naming it', async () => {
    // Prepare
    const documents = mockClient(DynamoDBDocumentClient);
    documents
      .on(GetCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const records = new DynamoDeploymentRecords({
      tableName: TABLE,
      client: new DynamoDBClient({ region: 'eu-west-1' }),
    });

    // Act
    const error = await rejectionOf(
      records.runningIn('orders-api', { environment: 'production', region: 'eu-west-1' }),
    );

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toContain('what runs in production#eu-west-1 for orders-api');
    documents.restore();
  });
});
