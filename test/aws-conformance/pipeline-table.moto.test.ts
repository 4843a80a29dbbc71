import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentWaiterStore } from '../../shared/aws/deployment-waiters.adapter';
import {
  createPipelineTable,
  PIPELINE_TABLE,
  pipelineDocumentClient,
  queryPartition,
} from '../../shared/aws/pipeline-table';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import { DynamoStageRecordStore } from '../../shared/aws/stage-records.adapter';
import { requestApproval } from '../../shared/approvals/request-approval';
import { ManualClock } from '../../shared/clock';
import { ALICE, BOB, approvalRequest } from '../shared/approvals/approval-fixtures';
import { RecordingNotifier } from '../shared/approvals/in-memory-approval-store';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { createTableFromTemplate, pipelineTableDefinition } from '../support/pipeline-table-template';

/**
 * The pipeline table itself against moto: the table the local runtime creates matches the one the stack
 * creates, every item that should expire carries the template's TTL attribute in epoch seconds, and the
 * shared partition query reads every page.
 */
const NOW = Date.UTC(2026, 2, 2, 9, 0);
const DAY_S = 24 * 60 * 60;

let moto: MotoServer;
let setup: DynamoDBClient;
let tables = 0;
beforeAll(async () => {
  moto = await startMotoServer();
  setup = new DynamoDBClient(moto.clientConfig());
}, 90_000);
afterAll(async () => {
  setup?.destroy();
  await moto?.stop();
});

const recorded = (adapter: string) => moto.adapterClient(adapter, DynamoDBClient);

async function templateTable(): Promise<string> {
  const name = `pipeline-${++tables}`;
  await createTableFromTemplate(setup, name);
  return name;
}

/** What a store can rely on: keys, attribute types, indexes. */
function dataModel(table: TableDescription | undefined) {
  const byName = <T extends { AttributeName?: string; IndexName?: string }>(items: T[] = []) =>
    [...items].sort((a, b) =>
      (a.AttributeName ?? a.IndexName ?? '').localeCompare(b.AttributeName ?? b.IndexName ?? ''),
    );
  return {
    keySchema: table?.KeySchema,
    attributes: byName(table?.AttributeDefinitions),
    globalIndexes: byName(table?.GlobalSecondaryIndexes).map((i) => [i.IndexName, i.KeySchema]),
    localIndexes: byName(table?.LocalSecondaryIndexes).map((i) => [i.IndexName, i.KeySchema]),
  };
}

describe('pipeline table against moto', () => {
  it('when the local runtime creates its table, it has the keys and indexes of the table serverless.yml defines', async () => {
    // Prepare
    const stackTable = await templateTable();

    // Act
    await createPipelineTable(recorded('pipeline-table'), 'local-runtime');

    // Assess
    const describeTable = (TableName: string) => setup.send(new DescribeTableCommand({ TableName }));
    const [local, stack] = [await describeTable('local-runtime'), await describeTable(stackTable)];
    expect(dataModel(local.Table)).toEqual(dataModel(stack.Table));
    expect(stack.Table?.KeySchema).toEqual([
      { AttributeName: PIPELINE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: PIPELINE_TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    expect(local.Table?.BillingModeSummary?.BillingMode).toBe(pipelineTableDefinition().BillingMode);
  });

  it('when the stores stamp an expiry, it is on the TTL attribute the stack enables, in epoch seconds', async () => {
    // Prepare
    const tableName = await templateTable();
    const clock = new ManualClock(NOW);

    // Act
    await new DynamoStageRecordStore({
      tableName,
      client: recorded('stage-records.adapter'),
      clock,
    }).rememberPreviousRevision(
      { executionName: 'release-1', environment: 'production', region: 'eu-west-1' },
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:7',
    );
    await new DynamoStageEvidenceStore({ tableName, client: recorded('stage-evidence.adapter') }).record(
      'release-1',
      {
        environment: 'staging',
        region: 'eu-west-1',
        version: 'v1.4.0',
        at: NOW,
        smoke: [{ name: 'health', passed: true, status: 200, latencyMs: 42 }],
        bake: { minutes: 10, alarmsWatched: ['orders-api-5xx'], breaches: 0 },
      },
    );
    await new DynamoDeploymentWaiterStore({ tableName, client: recorded('deployment-waiters.adapter') }).put({
      deploymentId: 'ecs-svc/1',
      taskToken: 'token-1',
      target: { region: 'eu-west-1', cluster: 'production', service: 'orders-api' },
      expiresAt: NOW + 3600_000,
    });
    await requestApproval(approvalRequest({ approvers: [ALICE, BOB] }), {
      store: new DynamoApprovalStore({ tableName, client: recorded('approval-store.adapter'), clock }),
      notifier: new RecordingNotifier(),
      clock,
    });

    // Assess
    const ttl = await setup.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({
      AttributeName: PIPELINE_TABLE.ttlAttribute,
      TimeToLiveStatus: 'ENABLED',
    });
    const { Items = [] } = await setup.send(new ScanCommand({ TableName: tableName }));
    const stamped = Items.filter((item) => item[PIPELINE_TABLE.ttlAttribute] !== undefined);
    // Stage record, evidence, waiter, approval record and its stage pointer.
    expect(stamped).toHaveLength(5);
    for (const item of stamped) {
      const attribute = item[PIPELINE_TABLE.ttlAttribute];
      // A number: DynamoDB ignores a TTL attribute of any other type.
      expect(Object.keys(attribute ?? {})).toEqual(['N']);
      const seconds = Number(attribute?.N);
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(NOW / 1000);
      expect(seconds).toBeLessThan(NOW / 1000 + 366 * DAY_S);
    }
  });

  it('when a partition spans several pages, the shared query reads every page and only the asked prefix', async () => {
    // Prepare
    const tableName = await templateTable();
    const waiters = new DynamoDeploymentWaiterStore({ tableName, client: setup });
    for (let i = 1; i <= 5; i++)
      await waiters.put({
        deploymentId: `ecs-svc/${i}`,
        taskToken: `token-${i}`,
        target: { region: 'eu-west-1', cluster: 'production', service: 'orders-api' },
        expiresAt: NOW + 3600_000,
      });

    // Act
    const documents = pipelineDocumentClient(recorded('pipeline-table'));
    const all = await queryPartition(documents, tableName, { partition: 'DEPLOYMENT_WAITER', pageSize: 2 });
    const prefixed = await queryPartition(documents, tableName, {
      partition: 'DEPLOYMENT_WAITER',
      sortKeyPrefix: 'ecs-svc/1',
      pageSize: 1,
    });
    const none = await queryPartition(documents, tableName, { partition: 'NOTHING_HERE' });

    // Assess
    expect(all.map((item) => item.sk)).toEqual([1, 2, 3, 4, 5].map((i) => `ecs-svc/${i}`));
    expect(prefixed.map((item) => item.sk)).toEqual(['ecs-svc/1']);
    expect(none).toEqual([]);
  });
});
