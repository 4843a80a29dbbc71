/**
 * The same rules, run against the DynamoDB stores (on dynalite, and on moto with the table serverless.yml
 * defines) and the in-memory fakes the use-case and property tests use: a fake that grew more forgiving
 * than its adapter (a second writer winning, a decision applied twice, an older deploy overwriting a newer
 * one) fails here, not in production; so does an expression that one DynamoDB emulator accepts and an
 * independent one refuses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_REFUSALS } from '../../../shared/approvals/approval';
import type { ApprovalStore } from '../../../shared/ports/approvals';
import { requestApproval } from '../../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../../shared/aws/approval-store.adapter';
import { DynamoDeploymentFreezes } from '../../../shared/aws/deployment-freezes.adapter';
import { DynamoDeploymentRecords } from '../../../shared/aws/deployment-records.adapter';
import { DynamoDeploymentWaiterStore } from '../../../shared/aws/deployment-waiters.adapter';
import { DynamoBakeWatchStore } from '../../../shared/aws/bake-watches.adapter';
import { createPipelineTable, pipelineTable } from '../../../shared/aws/pipeline-table';
import { DynamoStageRecordStore } from '../../../shared/aws/stage-records.adapter';
import { ManualClock } from '../../../shared/clock';
import type { DeploymentRecord } from '../../../shared/domain/deployment-record';
import type {
  BakeWatchStore,
  DeploymentFreezes,
  DeploymentRecordStore,
  DeploymentWaiterStore,
  StageRecordStore,
} from '../../../shared/ports/deployment';
import {
  InMemoryBakeWatchStore,
  InMemoryDeploymentFreezes,
  InMemoryDeploymentRecords,
  InMemoryDeploymentWaiterStore,
  InMemoryStageRecordStore,
} from '../../support/fakes';
import { startMotoServer, type MotoServer } from '../../support/moto-server';
import { createTableFromTemplate } from '../../support/pipeline-table-template';
import { ALICE, BOB, approvalRequest } from '../approvals/approval-fixtures';
import { InMemoryApprovalStore, RecordingNotifier } from '../approvals/in-memory-approval-store';
import { startDynalite, type LocalDynamo } from './dynalite';

const NOW = Date.UTC(2026, 2, 2, 9, 0);

interface Stores {
  stages: StageRecordStore;
  waiters: DeploymentWaiterStore;
  bakes: BakeWatchStore;
  records: DeploymentRecordStore;
  freezes: DeploymentFreezes;
  approvals: ApprovalStore;
}

let dynamo: LocalDynamo;
let moto: MotoServer;
let tables = 0;

beforeAll(async () => {
  [dynamo, moto] = await Promise.all([startDynalite(), startMotoServer()]);
}, 90_000);

afterAll(async () => {
  for (const client of motoClients.values()) client.destroy();
  await Promise.all([dynamo?.close(), moto?.stop()]);
});

/**
 * One DynamoDB client per adapter on moto, so the contract summary says which adapter sent what; 'setup'
 * (creating the tables) is not counted.
 */
const motoClients = new Map<string, DynamoDBClient>();
function motoClient(adapter: string): DynamoDBClient {
  let client = motoClients.get(adapter);
  if (client === undefined) {
    const plain = new DynamoDBClient(moto.clientConfig());
    client = adapter === 'setup' ? plain : moto.recordContract(adapter, plain);
    motoClients.set(adapter, client);
  }
  return client;
}

/** How a test sends writers that race for one item. */
type Race = <T>(writers: (() => Promise<T>)[]) => Promise<T[]>;
/** All at once: the store must let exactly one writer's condition hold. */
const concurrently: Race = (writers) => Promise.all(writers.map((write) => write()));
/**
 * One after the other. moto's server answers each request on its own thread and does not lock an item
 * between checking a condition and writing (docs/aws-conformance.md), so concurrent requests there would
 * test moto; in turn, they still check that every later writer's condition fails.
 */
const inTurn: Race = async (writers) => {
  const results = [];
  for (const write of writers) results.push(await write());
  return results;
};

/** Each test gets empty stores: a table of its own for DynamoDB, new objects in memory. */
const implementations: [string, (clock: ManualClock) => Promise<Stores>, Race][] = [
  [
    'DynamoDB stores (dynalite)',
    async (clock) => {
      const name = `contracts-${++tables}`;
      await createPipelineTable(dynamo.client, name);
      const table = pipelineTable(name, dynamo.client);
      return {
        stages: new DynamoStageRecordStore({ table, clock }),
        waiters: new DynamoDeploymentWaiterStore({ table, pageSize: 2 }),
        bakes: new DynamoBakeWatchStore({ table, pageSize: 2 }),
        records: new DynamoDeploymentRecords({ table }),
        freezes: new DynamoDeploymentFreezes({ table }),
        approvals: new DynamoApprovalStore({ table, clock }),
      };
    },
    concurrently,
  ],
  [
    'DynamoDB stores (moto, the table of serverless.yml)',
    async (clock) => {
      const tableName = `contracts-${++tables}`;
      await createTableFromTemplate(motoClient('setup'), tableName);
      return {
        stages: new DynamoStageRecordStore({ tableName, client: motoClient('stage-records.adapter'), clock }),
        waiters: new DynamoDeploymentWaiterStore({
          tableName,
          client: motoClient('deployment-waiters.adapter'),
          pageSize: 2,
        }),
        bakes: new DynamoBakeWatchStore({
          tableName,
          client: motoClient('bake-watches.adapter'),
          pageSize: 2,
        }),
        records: new DynamoDeploymentRecords({ tableName, client: motoClient('deployment-records.adapter') }),
        freezes: new DynamoDeploymentFreezes({ tableName, client: motoClient('deployment-freezes.adapter') }),
        approvals: new DynamoApprovalStore({
          tableName,
          client: motoClient('approval-store.adapter'),
          clock,
        }),
      };
    },
    inTurn,
  ],
  [
    'in-memory fakes',
    async () => ({
      stages: new InMemoryStageRecordStore(),
      waiters: new InMemoryDeploymentWaiterStore(),
      bakes: new InMemoryBakeWatchStore(),
      records: new InMemoryDeploymentRecords(),
      freezes: new InMemoryDeploymentFreezes(),
      approvals: new InMemoryApprovalStore(),
    }),
    concurrently,
  ],
];

function deployed(overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    service: 'orders-api',
    environment: 'production',
    region: 'eu-west-1',
    version: 'v1.4.0',
    commit: '4b825dc642cb',
    digest: `sha256:${'a'.repeat(64)}`,
    execution: 'release-orders-api-v1.4.0',
    kind: 'deploy',
    outcome: 'deployed',
    triggeredBy: 'tag v1.4.0 by alice@example.com',
    at: NOW,
    ...overrides,
  };
}

function waiter(deploymentId: string) {
  return {
    deploymentId,
    taskToken: `token-${deploymentId}`,
    target: { region: 'eu-west-1', cluster: 'production', service: 'orders-api' },
    expiresAt: NOW + 3600_000,
  };
}

describe.each(implementations)('%s', (_, make, race) => {
  let clock: ManualClock;
  let stores: Stores;

  beforeEach(async () => {
    clock = new ManualClock(NOW);
    stores = await make(clock);
  });

  describe('stage records', () => {
    const key = { executionName: 'push-orders-api-1', environment: 'ppe', region: 'eu-west-1' };

    it('when two deploys remember a previous revision, the first writer wins', async () => {
      // Act
      const first = await stores.stages.rememberPreviousRevision(key, 'td:7');
      const retried = await stores.stages.rememberPreviousRevision(key, 'td:8');

      // Assess
      expect([first, retried]).toEqual(['td:7', 'td:7']);
      await expect(stores.stages.previousRevision(key)).resolves.toBe('td:7');
      await expect(stores.stages.previousRevision({ ...key, region: 'us-east-1' })).resolves.toBeUndefined();
    });

    it('when a deploy notes the revision it sends to ECS, the last one noted wins and the previous revision stays', async () => {
      // Prepare
      await stores.stages.rememberPreviousRevision(key, 'td:7');

      // Act
      await stores.stages.rememberDeployedRevision(key, 'td:8');
      await stores.stages.rememberDeployedRevision(key, 'td:9');

      // Assess
      await expect(stores.stages.deployedRevision(key)).resolves.toBe('td:9');
      await expect(stores.stages.previousRevision(key)).resolves.toBe('td:7');
      await expect(stores.stages.deployedRevision({ ...key, region: 'us-east-1' })).resolves.toBeUndefined();
    });
  });

  describe('deployment waiters', () => {
    it('when the event and the sweep race to take a waiter, exactly one gets it', async () => {
      // Prepare
      await stores.waiters.put(waiter('ecs-svc/1'));

      // Act
      const taken = await race([
        () => stores.waiters.take('ecs-svc/1'),
        () => stores.waiters.take('ecs-svc/1'),
      ]);

      // Assess
      expect(taken.filter((w) => w !== undefined)).toEqual([waiter('ecs-svc/1')]);
      await expect(stores.waiters.get('ecs-svc/1')).resolves.toBeUndefined();
    });

    it('when a retried wait puts its waiter again, the new token replaces the old one; list sees every page', async () => {
      // Prepare
      for (const id of ['ecs-svc/1', 'ecs-svc/2', 'ecs-svc/3']) await stores.waiters.put(waiter(id));

      // Act
      await stores.waiters.put({ ...waiter('ecs-svc/2'), taskToken: 'retried' });
      const listed = await stores.waiters.list();

      // Assess
      expect(listed.map((w) => [w.deploymentId, w.taskToken]).sort()).toEqual([
        ['ecs-svc/1', 'token-ecs-svc/1'],
        ['ecs-svc/2', 'retried'],
        ['ecs-svc/3', 'token-ecs-svc/3'],
      ]);
    });
    it('when a wait ends, it removes its own waiter only; what the waiter remembered reads back whole', async () => {
      // Prepare
      const remembered = {
        ...waiter('ecs-svc/5'),
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:8',
        since: NOW - 60_000,
      };
      await stores.waiters.put(remembered);
      await stores.waiters.put(waiter('ecs-svc/6'));
      await stores.waiters.put({ ...waiter('ecs-svc/6'), taskToken: 'retried' });

      // Act
      const before = await stores.waiters.get('ecs-svc/5');
      await stores.waiters.remove('ecs-svc/5', remembered.taskToken);
      await stores.waiters.remove('ecs-svc/6', 'token-ecs-svc/6');
      await stores.waiters.remove('ecs-svc/7', 'never-put');

      // Assess
      expect(before).toEqual(remembered);
      expect(await stores.waiters.get('ecs-svc/5')).toBeUndefined();
      expect((await stores.waiters.get('ecs-svc/6'))?.taskToken).toBe('retried');
    });
  });

  describe('bake watches', () => {
    const watch = (executionName: string, region = 'eu-west-1') => ({
      executionName,
      service: 'orders-api',
      environment: 'production',
      region,
      taskToken: `token-${executionName}-${region}`,
      alarms: { names: ['orders-api-prod-5xx'], prefixes: ['orders-api-prod-latency'] },
      deployedAt: NOW - 120_000,
      bakeStartedAt: NOW,
      bakeSeconds: 1800,
      expiresAt: NOW + 1_800_000,
    });

    it('when stages bake, list sees every watch whole across pages; a retried bake replaces its token', async () => {
      // Prepare
      await stores.bakes.put(watch('release-1'));
      await stores.bakes.put(watch('release-1', 'us-east-1'));
      await stores.bakes.put(watch('release-2'));

      // Act
      await stores.bakes.put({ ...watch('release-2'), taskToken: 'retried' });
      const listed = await stores.bakes.list();

      // Assess
      const sorted = listed.sort((a, b) => a.taskToken.localeCompare(b.taskToken));
      expect(sorted).toEqual([
        { ...watch('release-2'), taskToken: 'retried' },
        watch('release-1'),
        watch('release-1', 'us-east-1'),
      ]);
    });

    it('when a bake ends, it removes its own watch only; nothing to remove is not an error', async () => {
      // Prepare
      await stores.bakes.put(watch('release-1'));
      await stores.bakes.put({ ...watch('release-2'), taskToken: 'retried' });

      // Act
      await stores.bakes.remove(watch('release-1'), watch('release-1').taskToken);
      await stores.bakes.remove(watch('release-2'), watch('release-2').taskToken);
      await stores.bakes.remove(watch('release-3'), 'never-put');

      // Assess
      expect((await stores.bakes.list()).map((w) => [w.executionName, w.taskToken])).toEqual([
        ['release-2', 'retried'],
      ]);
    });
  });

  describe('deployment records', () => {
    it('when a late retry of an older deploy lands after a newer one, what runs stays the newer', async () => {
      // Prepare
      const older = deployed({ version: 'v1.3.0', execution: 'release-v1.3.0', at: NOW - 60_000 });
      const newer = deployed({ version: 'v1.4.0', execution: 'release-v1.4.0', at: NOW });

      // Act
      await stores.records.put(newer);
      await stores.records.put(older);

      // Assess
      const running = await stores.records.running('orders-api');
      expect(running.map((r) => r.version)).toEqual(['v1.4.0']);
      expect(await stores.records.runningIn('orders-api', newer)).toEqual(running[0]);
      expect(await stores.records.runningIn('orders-api', { ...newer, region: 'mars-1' })).toBeUndefined();
      const history = await stores.records.history('orders-api');
      expect(history.map((r) => r.version)).toEqual(['v1.4.0', 'v1.3.0']);
    });

    it('when a step is retried, its record is overwritten, not doubled; failures do not change what runs', async () => {
      // Act
      await stores.records.put(deployed());
      await stores.records.put(deployed({ at: NOW + 1000 }));
      await stores.records.put(
        deployed({ version: 'v1.5.0', execution: 'release-v1.5.0', outcome: 'rolled back', at: NOW + 2000 }),
      );

      // Assess
      const history = await stores.records.history('orders-api');
      expect(history.map((r) => [r.version, r.outcome, r.at])).toEqual([
        ['v1.5.0', 'rolled back', NOW + 2000],
        ['v1.4.0', 'deployed', NOW + 1000],
      ]);
      const running = await stores.records.running('orders-api');
      expect(running.map((r) => [r.version, r.at])).toEqual([['v1.4.0', NOW + 1000]]);
    });
  });

  describe('deployment freezes', () => {
    it('when a freeze has an end, it holds until then; an unfreeze returns what it lifted', async () => {
      // Prepare
      await stores.freezes.freeze('production', {
        reason: 'incident 42',
        by: ALICE,
        at: NOW,
        until: NOW + 3600_000,
      });

      // Act
      const during = await stores.freezes.current('production', NOW + 1000);
      const after = await stores.freezes.current('production', NOW + 3600_001);
      const listed = await stores.freezes.list(NOW + 1000);
      const lifted = await stores.freezes.unfreeze('production', { by: BOB, at: NOW + 2000 });
      const liftedAgain = await stores.freezes.unfreeze('production', { by: BOB, at: NOW + 3000 });

      // Assess
      expect(during).toMatchObject({ environment: 'production', reason: 'incident 42', by: ALICE });
      expect(after).toBeUndefined();
      expect(listed.map((f) => f.environment)).toEqual(['production']);
      expect(lifted).toMatchObject({ reason: 'incident 42' });
      expect(liftedAgain).toBeUndefined();
      await expect(stores.freezes.current('production', NOW + 2500)).resolves.toBeUndefined();
    });
  });

  describe('approvals', () => {
    async function pending(): Promise<string> {
      const request = approvalRequest({ approvers: [ALICE, BOB], minApprovals: 2 });
      const { approvalId } = await requestApproval(request, {
        store: stores.approvals,
        notifier: new RecordingNotifier(),
        clock,
      });
      return approvalId;
    }

    const decision = (approver: string, at = NOW + 1000) => ({
      approver,
      decision: 'approve' as const,
      at,
    });

    it('when two decisions race on what they saw, only one applies', async () => {
      // Prepare
      const approvalId = await pending();

      // Act
      const [alice, bob] = await race([
        () =>
          stores.approvals.addDecision(approvalId, {
            decision: decision(ALICE),
            seenDecisions: 0,
            status: 'pending',
          }),
        () =>
          stores.approvals.addDecision(approvalId, {
            decision: decision(BOB),
            seenDecisions: 0,
            status: 'pending',
          }),
      ]);

      // Assess
      expect([alice, bob].filter((r) => r !== undefined)).toHaveLength(1);
      expect((await stores.approvals.get(approvalId))?.decisions).toHaveLength(1);
    });

    it('when an approver decides twice, the second decision is refused', async () => {
      // Prepare
      const approvalId = await pending();
      await stores.approvals.addDecision(approvalId, {
        decision: decision(ALICE),
        seenDecisions: 0,
        status: 'pending',
      });

      // Act
      const again = await stores.approvals.addDecision(approvalId, {
        decision: decision(ALICE.toUpperCase(), NOW + 2000),
        seenDecisions: 1,
        status: 'approved',
      });

      // Assess
      expect(again).toBeUndefined();
      expect((await stores.approvals.get(approvalId))?.status).toBe('pending');
    });

    it('when an approval is closed, no decision applies and a timeout does not expire it', async () => {
      // Prepare
      const approvalId = await pending();
      await stores.approvals.addDecision(approvalId, {
        decision: decision(ALICE),
        seenDecisions: 0,
        status: 'rejected',
      });

      // Act
      const late = await stores.approvals.addDecision(approvalId, {
        decision: decision(BOB),
        seenDecisions: 1,
        status: 'approved',
      });
      const timedOut = await stores.approvals.markExpired(approvalId, {
        at: NOW + 5000,
        reason: 'timed-out',
      });
      const superseded = await stores.approvals.markSuperseded(approvalId, NOW + 5000);

      // Assess
      expect(late).toBeUndefined();
      expect([timedOut, superseded]).toEqual([false, false]);
      expect((await stores.approvals.get(approvalId))?.status).toBe('rejected');
    });

    it('when the execution no longer waits, even a decided approval is marked expired, once', async () => {
      // Prepare
      const approvalId = await pending();
      await stores.approvals.addDecision(approvalId, {
        decision: decision(ALICE),
        seenDecisions: 0,
        status: 'approved',
      });

      // Act
      const expired = await stores.approvals.markExpired(approvalId, {
        at: NOW + 5000,
        reason: 'execution-not-waiting',
      });
      const again = await stores.approvals.markExpired(approvalId, {
        at: NOW + 6000,
        reason: 'execution-not-waiting',
      });

      // Assess
      expect([expired, again]).toEqual([true, false]);
      expect(await stores.approvals.get(approvalId)).toMatchObject({
        status: 'expired',
        expiredReason: 'execution-not-waiting',
        closedAt: NOW + 5000,
      });
    });

    it('when a stage asks again, the pointer moves only from the approval the caller saw', async () => {
      // Prepare
      const first = await pending();
      const record = await stores.approvals.get(first);
      if (!record) throw new Error('the approval was not stored');

      // Act
      const stale = await stores.approvals.create({ ...record, approvalId: 'approval-2' }, undefined);
      const moved = await stores.approvals.create({ ...record, approvalId: 'approval-3' }, first);

      // Assess
      expect([stale, moved]).toEqual([false, true]);
      const current = await stores.approvals.byStage(record.executionName, record.environment, record.region);
      expect(current?.approvalId).toBe('approval-3');
    });

    it('when refusals exceed the limit, it keeps the first ones and counts the rest', async () => {
      // Prepare: a record two refusals short of the limit (one request per refusal would be slow on moto)
      const first = await pending();
      const record = await stores.approvals.get(first);
      if (!record) throw new Error('the approval was not stored');
      const refusal = (i: number) => ({
        reason: 'not-an-approver' as const,
        approverClaimed: `mallory-${i}@example.com`,
        at: NOW + i,
      });
      const earlier = Array.from({ length: MAX_REFUSALS - 2 }, (_, i) => refusal(i));
      await stores.approvals.create({ ...record, approvalId: 'approval-full', refusals: earlier }, first);

      // Act
      for (let i = MAX_REFUSALS - 2; i < MAX_REFUSALS + 3; i++)
        await stores.approvals.recordRefusal('approval-full', refusal(i));

      // Assess
      const stored = await stores.approvals.get('approval-full');
      expect(stored?.refusals).toEqual(Array.from({ length: MAX_REFUSALS }, (_, i) => refusal(i)));
      expect(stored?.refusalsDropped).toBe(3);
    });

    it('when an approval is delivered or notified, it says when; for an unknown id nothing is created', async () => {
      // Prepare
      const approvalId = await pending();

      // Act
      await stores.approvals.markDelivered(approvalId, NOW + 7000);
      await stores.approvals.markNotified(approvalId, NOW + 8000);
      await stores.approvals.markDelivered('unknown', NOW);
      await stores.approvals.markNotified('unknown', NOW);
      await stores.approvals.recordRefusal('unknown', { reason: 'expired', at: NOW });
      const expired = await stores.approvals.markExpired('unknown', { at: NOW, reason: 'timed-out' });
      const superseded = await stores.approvals.markSuperseded('unknown', NOW);

      // Assess
      expect(await stores.approvals.get(approvalId)).toMatchObject({
        deliveredAt: NOW + 7000,
        notifiedAt: NOW + 8000,
      });
      expect([expired, superseded]).toEqual([false, false]);
      expect(await stores.approvals.get('unknown')).toBeUndefined();
      expect(await stores.approvals.byStage('never-ran', 'production', 'eu-west-1')).toBeUndefined();
    });
  });
});
