import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { publicView, type ApprovalRecord } from '../../../shared/approvals/approval';
import { decideApproval, type DecisionResult } from '../../../shared/approvals/decide-approval';
import { requestApproval } from '../../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../../shared/aws/approval-store.adapter';
import { createPipelineTable } from '../../../shared/aws/pipeline-table';
import { ManualClock } from '../../../shared/clock';
import { ERROR_NAMES } from '../../../shared/domain/errors';
import { InMemoryDeploymentRecords, RecordingExecutionControl } from '../../support/fakes';
import { ALICE, BOB, GoneExecutionControl, TOKEN, approvalRequest } from '../approvals/approval-fixtures';
import { RecordingNotifier } from '../approvals/in-memory-approval-store';
import { startDynalite, type LocalDynamo } from './dynalite';

const TABLE = 'pipeline-test';
const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('DynamoApprovalStore (dynalite)', () => {
  let dynamo: LocalDynamo;
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
  let store: DynamoApprovalStore;
  let executions: RecordingExecutionControl;
  let notifier: RecordingNotifier;
  let execution = 0;

  /** A request for a stage of its own (a fresh execution name each time). */
  function freshRequest(overrides: Parameters<typeof approvalRequest>[0] = {}) {
    execution++;
    return approvalRequest({ executionName: `tag-orders-api-v1.4.${execution}`, ...overrides });
  }

  beforeAll(async () => {
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, TABLE);
    store = new DynamoApprovalStore({ tableName: TABLE, client: dynamo.client, clock });
  });

  beforeEach(() => {
    executions = new RecordingExecutionControl();
    notifier = new RecordingNotifier();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('when an approval is requested, it stores the record and the stage pointer with a TTL 30 days after expiry in seconds', async () => {
    // Prepare
    const request = freshRequest({ evidence: { staging: { smoke: 'passed', p99: 182.5, empty: '' } } });

    // Act
    const { approvalId, expiresAt } = await requestApproval(request, { store, notifier, clock });

    // Assess
    const record = await store.get(approvalId);
    expect(record).toMatchObject({
      approvalId,
      taskToken: TOKEN,
      status: 'pending',
      expiresAt,
      evidence: { staging: { smoke: 'passed', p99: 182.5, empty: '' } },
      notifiedAt: clock.now(),
    });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: `APPROVAL#${approvalId}` }, sk: { S: 'APPROVAL' } },
      }),
    );
    expect(Item?.expiresAt).toEqual({ N: String((expiresAt + 30 * DAY) / 1000) });
    const pointer = await dynamo.client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: `APPROVAL_STAGE#${request.executionName}` }, sk: { S: 'production#eu-west-1' } },
      }),
    );
    expect(pointer.Item?.approvalId).toEqual({ S: approvalId });
    expect(await store.byStage(request.executionName, 'production', 'eu-west-1')).toEqual(record);
  });

  it('when the step is retried with the same token, it returns the same record and notifies once', async () => {
    // Prepare
    const request = freshRequest();
    const first = await requestApproval(request, { store, notifier, clock });

    // Act
    const again = await requestApproval(request, { store, notifier, clock });

    // Assess
    expect(again).toEqual(first);
    expect(notifier.notified).toHaveLength(1);
  });

  it('when a redrive brings a new token, it supersedes the old record and points the stage at a new one', async () => {
    // Prepare
    const request = freshRequest();
    const old = await requestApproval(request, { store, notifier, clock });

    // Act
    const redriven = await requestApproval({ ...request, taskToken: 'token-2' }, { store, notifier, clock });
    const oldLink = await decideApproval(
      { approvalId: old.approvalId, approver: ALICE, decision: 'approve' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );

    // Assess
    expect(redriven.approvalId).not.toBe(old.approvalId);
    expect((await store.get(old.approvalId))?.status).toBe('superseded');
    expect((await store.byStage(request.executionName, 'production', 'eu-west-1'))?.approvalId).toBe(
      redriven.approvalId,
    );
    expect(oldLink.outcome).toBe('superseded');
    expect(notifier.notified).toHaveLength(2);
  });

  it('when the pointer moved since it was read, create stores nothing reachable and returns false', async () => {
    // Prepare
    const request = freshRequest();
    const { approvalId } = await requestApproval(request, { store, notifier, clock });
    const stale = { ...(await store.get(approvalId))!, approvalId: 'stale-writer', taskToken: 'other' };

    // Act
    const created = await store.create(stale, undefined);

    // Assess
    expect(created).toBe(false);
    expect((await store.byStage(request.executionName, 'production', 'eu-west-1'))?.approvalId).toBe(
      approvalId,
    );
  });

  it('when two approvals are needed, the first is recorded and the second approves', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest({ minApprovals: 2 }), {
      store,
      notifier,
      clock,
    });

    // Act
    const first = await decideApproval(
      { approvalId, approver: ALICE, decision: 'approve' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );
    const second = await decideApproval(
      { approvalId, approver: BOB, decision: 'approve' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );

    // Assess
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1 });
    expect(second).toMatchObject({ outcome: 'approved', approvedBy: [ALICE, BOB] });
    expect(executions.deliveries).toMatchObject([{ kind: 'success', taskToken: TOKEN }]);
  });

  it('when an approver rejects, it stores the rejection and fails the task', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest(), { store, notifier, clock });

    // Act
    const result = await decideApproval(
      { approvalId, approver: BOB, decision: 'reject', comment: 'p99 doubled in staging' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(executions.deliveries).toMatchObject([{ kind: 'failure', error: ERROR_NAMES.approvalRejected }]);
    expect(await store.get(approvalId)).toMatchObject({
      status: 'rejected',
      decisions: [{ approver: BOB, decision: 'reject', comment: 'p99 doubled in staging' }],
    });
  });

  it('when the same approver decides twice, the store refuses the second write', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest({ minApprovals: 2 }), {
      store,
      notifier,
      clock,
    });
    await decideApproval(
      { approvalId, approver: ALICE, decision: 'approve' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );

    // Act
    const write = await store.addDecision(approvalId, {
      decision: { approver: 'Alice@Example.com', decision: 'approve', at: clock.now() },
      seenDecisions: 1,
      status: 'approved',
    });

    // Assess
    expect(write).toBeUndefined();
    expect((await store.get(approvalId))?.decisions).toHaveLength(1);
  });

  it('when the approval is past its expiry, it is marked expired and refused', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest({ timeoutSeconds: 60 }), {
      store,
      notifier,
      clock,
    });
    await clock.advance(HOUR);

    // Act
    const result = await decideApproval(
      { approvalId, approver: ALICE, decision: 'approve' },
      { store, executions, records: new InMemoryDeploymentRecords(), clock },
    );

    // Assess
    expect(result.outcome).toBe('expired');
    expect(await store.get(approvalId)).toMatchObject({
      status: 'expired',
      expiredReason: 'timed-out',
      refusals: [{ reason: 'expired' }],
    });
  });

  it('when the task no longer waits, the decided record is marked expired', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest(), { store, notifier, clock });

    // Act
    const result = await decideApproval(
      { approvalId, approver: ALICE, decision: 'approve' },
      { store, executions: new GoneExecutionControl(), records: new InMemoryDeploymentRecords(), clock },
    );

    // Assess
    expect(result.outcome).toBe('execution-not-waiting');
    expect(await store.get(approvalId)).toMatchObject({
      status: 'expired',
      expiredReason: 'execution-not-waiting',
    });
  });

  it('when 50 opposite decisions race on one approval, exactly one wins and every loser is told it was decided', async () => {
    // Prepare
    const approvers = Array.from({ length: 50 }, (_, i) => `approver-${i}@example.com`);
    const { approvalId } = await requestApproval(freshRequest({ approvers, createdBy: undefined }), {
      store,
      notifier,
      clock,
    });

    // Act
    const results: DecisionResult[] = await Promise.all(
      approvers.map((approver, i) =>
        decideApproval(
          { approvalId, approver, decision: i % 2 === 0 ? 'approve' : 'reject', comment: `racer ${i}` },
          { store, executions, records: new InMemoryDeploymentRecords(), clock },
        ),
      ),
    );

    // Assess
    const winners = results.filter((r) => r.outcome === 'approved' || r.outcome === 'rejected');
    const losers = results.filter((r) => r.outcome === 'already-decided');
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(49);
    expect(executions.deliveries).toHaveLength(1);
    const record = await store.get(approvalId);
    expect(record?.decisions).toHaveLength(1);
    expect(record?.status).toBe(winners[0]?.outcome);
    expect(record?.refusals).toHaveLength(49);
    expect(record?.refusals.every((r) => r.reason === 'already-decided')).toBe(true);
  });

  it('when a record is read back, its public view has no task token', async () => {
    // Prepare
    const { approvalId } = await requestApproval(freshRequest(), { store, notifier, clock });

    // Act
    const view = publicView((await store.get(approvalId)) as ApprovalRecord);

    // Assess
    expect(view).not.toHaveProperty('taskToken');
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    expect(JSON.stringify(notifier.notified)).not.toContain(TOKEN);
  });
});
