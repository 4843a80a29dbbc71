import { publicView, MAX_COMMENT_CHARS } from '../../../shared/approvals/approval';
import { decideApproval, type DecideApprovalDeps } from '../../../shared/approvals/decide-approval';
import { requestApproval } from '../../../shared/approvals/request-approval';
import { ManualClock } from '../../../shared/clock';
import { ERROR_NAMES } from '../../../shared/domain/errors';
import { InMemoryDeploymentRecords, RecordingExecutionControl, rejectionOf } from '../../support/fakes';
import {
  ALICE,
  BOB,
  CAROL,
  GoneExecutionControl,
  TOKEN,
  approvalRequest,
  sequentialIds,
} from './approval-fixtures';
import { InMemoryApprovalStore, RecordingNotifier } from './in-memory-approval-store';

const HOUR = 3600_000;
const START = Date.UTC(2026, 2, 2, 9, 0);

describe('decideApproval', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let executions: RecordingExecutionControl;
  let records: InMemoryDeploymentRecords;
  let deps: DecideApprovalDeps;

  async function requested(overrides: Parameters<typeof approvalRequest>[0] = {}): Promise<string> {
    const { approvalId } = await requestApproval(approvalRequest(overrides), {
      store,
      notifier: new RecordingNotifier(),
      clock,
      newId: sequentialIds(),
    });
    return approvalId;
  }

  beforeEach(() => {
    clock = new ManualClock(START);
    store = new InMemoryApprovalStore();
    executions = new RecordingExecutionControl();
    records = new InMemoryDeploymentRecords();
    deps = { store, executions, records, clock };
  });

  it('when one approval is needed and an approver approves, it resumes the execution with who approved', async () => {
    // Prepare
    const approvalId = await requested();
    await clock.advance(HOUR);

    // Act
    const result = await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'approved', approvedBy: [ALICE], at: clock.now() });
    expect(executions.deliveries).toEqual([
      {
        taskToken: TOKEN,
        kind: 'success',
        output: { approvalId, approvedBy: [ALICE], at: '2026-03-02T10:00:00.000Z' },
      },
    ]);
    expect(await store.get(approvalId)).toMatchObject({ status: 'approved', closedAt: clock.now() });
  });

  it('when two approvals are needed, the first is recorded and the second resumes the execution', async () => {
    // Prepare
    const approvalId = await requested({ minApprovals: 2 });

    // Act
    const first = await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);
    const afterFirst = executions.deliveries.length;
    const second = await decideApproval({ approvalId, approver: BOB, decision: 'approve' }, deps);

    // Assess
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1, minApprovals: 2 });
    expect(afterFirst).toBe(0);
    expect(second).toMatchObject({ outcome: 'approved', approvedBy: [ALICE, BOB] });
    expect(executions.deliveries).toHaveLength(1);
  });

  it('when two approvals are needed and the same approver approves twice, it counts one and says already decided', async () => {
    // Prepare
    const approvalId = await requested({ minApprovals: 2 });
    await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Act
    const again = await decideApproval(
      { approvalId, approver: 'ALICE@example.com', decision: 'approve' },
      deps,
    );

    // Assess
    expect(again).toMatchObject({ outcome: 'already-decided', status: 'pending', decidedBy: [ALICE] });
    expect(executions.deliveries).toHaveLength(0);
    const record = await store.get(approvalId);
    expect(record?.decisions).toHaveLength(1);
    expect(record?.refusals).toMatchObject([
      { reason: 'duplicate-decision', approverClaimed: 'ALICE@example.com' },
    ]);
  });

  it('when an approver rejects, it fails the execution with ApprovalRejected naming who, when and why', async () => {
    // Prepare
    const approvalId = await requested({ minApprovals: 2 });
    await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Act
    const result = await decideApproval(
      { approvalId, approver: BOB, decision: 'reject', comment: '  error rate up in staging  ' },
      deps,
    );

    // Assess
    expect(result).toMatchObject({
      outcome: 'rejected',
      rejectedBy: BOB,
      comment: 'error rate up in staging',
    });
    expect(executions.deliveries).toEqual([
      {
        taskToken: TOKEN,
        kind: 'failure',
        error: ERROR_NAMES.approvalRejected,
        cause: `rejected by ${BOB} at 2026-03-02T09:00:00.000Z: error rate up in staging`,
      },
    ]);
    expect((await store.get(approvalId))?.status).toBe('rejected');
  });

  it('when the tag creator rejects their own release, it rejects it', async () => {
    // Prepare
    const approvalId = await requested({ createdBy: CAROL });

    // Act
    const result = await decideApproval({ approvalId, approver: CAROL, decision: 'reject' }, deps);

    // Assess
    expect(result.outcome).toBe('rejected');
    expect(executions.deliveries[0]?.cause).toBe(`rejected by ${CAROL} at 2026-03-02T09:00:00.000Z`);
  });

  it('when the approval was decided already, it says by whom and when and records the refusal', async () => {
    // Prepare
    const approvalId = await requested();
    await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);
    const decidedAt = clock.now();
    await clock.advance(HOUR);

    // Act
    const result = await decideApproval(
      { approvalId, approver: BOB, decision: 'reject', sourceIp: '203.0.113.9' },
      deps,
    );

    // Assess
    expect(result).toMatchObject({
      outcome: 'already-decided',
      status: 'approved',
      decidedBy: [ALICE],
      at: decidedAt,
    });
    expect(executions.deliveries).toHaveLength(1);
    expect((await store.get(approvalId))?.refusals).toEqual([
      { reason: 'already-decided', approverClaimed: BOB, at: clock.now(), sourceIp: '203.0.113.9' },
    ]);
  });

  it('when the approval is past its expiry, it marks it expired, refuses and does not resume the execution', async () => {
    // Prepare
    const approvalId = await requested({ timeoutSeconds: 3600 });
    await clock.advance(HOUR);

    // Act
    const result = await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'expired', expiresAt: START + HOUR });
    expect(executions.deliveries).toHaveLength(0);
    expect(await store.get(approvalId)).toMatchObject({
      status: 'expired',
      expiredReason: 'timed-out',
      refusals: [{ reason: 'expired', approverClaimed: ALICE }],
    });
  });

  it('when the approver is not in the list, it refuses as not allowed and records the attempt', async () => {
    // Prepare
    const approvalId = await requested();

    // Act
    const result = await decideApproval(
      { approvalId, approver: 'mallory@example.com', decision: 'approve', userAgent: 'curl/8.5' },
      deps,
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'not-allowed', reason: 'not-an-approver' });
    expect(executions.deliveries).toHaveLength(0);
    expect(await store.get(approvalId)).toMatchObject({
      status: 'pending',
      decisions: [],
      refusals: [
        { reason: 'not-an-approver', approverClaimed: 'mallory@example.com', userAgent: 'curl/8.5' },
      ],
    });
  });

  it('when the tag creator approves their own release and self-approval is off, it refuses as not allowed', async () => {
    // Prepare
    const approvalId = await requested({ createdBy: 'Carol@Example.com', allowSelfApproval: false });

    // Act
    const result = await decideApproval({ approvalId, approver: CAROL, decision: 'approve' }, deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'not-allowed', reason: 'self-approval' });
    expect(executions.deliveries).toHaveLength(0);
    expect((await store.get(approvalId))?.refusals).toMatchObject([{ reason: 'self-approval' }]);
  });

  it('when self-approval is allowed, the tag creator approves like anyone else', async () => {
    // Prepare
    const approvalId = await requested({ createdBy: CAROL, allowSelfApproval: true });

    // Act
    const result = await decideApproval({ approvalId, approver: CAROL, decision: 'approve' }, deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'approved', approvedBy: [CAROL] });
  });

  it('when the approver email differs in case, it matches and records the spelling from the list', async () => {
    // Prepare
    const approvalId = await requested();

    // Act
    const result = await decideApproval(
      { approvalId, approver: ' Bob@EXAMPLE.com ', decision: 'approve' },
      deps,
    );

    // Assess
    expect(result).toMatchObject({ outcome: 'approved', approvedBy: [BOB] });
  });

  it('when the task no longer waits, it says so and marks the record expired', async () => {
    // Prepare
    const approvalId = await requested();
    deps = { ...deps, executions: new GoneExecutionControl() };

    // Act
    const result = await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Assess
    expect(result.outcome).toBe('execution-not-waiting');
    expect(await store.get(approvalId)).toMatchObject({
      status: 'expired',
      expiredReason: 'execution-not-waiting',
      decisions: [{ approver: ALICE, decision: 'approve' }],
    });
  });

  it('when Step Functions fails after the decision is stored, the deciding approver pressing again delivers it once', async () => {
    // Prepare
    const approvalId = await requested();
    const flaky = new FailingOnceExecutionControl();
    deps = { ...deps, executions: flaky };
    const failed = await rejectionOf(
      decideApproval({ approvalId, approver: ALICE, decision: 'reject', comment: 'p99 too high' }, deps),
    );
    await clock.advance(60_000);

    // Act
    const other = await decideApproval({ approvalId, approver: BOB, decision: 'approve' }, deps);
    const retried = await decideApproval({ approvalId, approver: ALICE, decision: 'reject' }, deps);
    const again = await decideApproval({ approvalId, approver: ALICE, decision: 'reject' }, deps);

    // Assess
    expect(failed.message).toBe('Step Functions is throttling');
    expect(other).toMatchObject({ outcome: 'already-decided', status: 'rejected', decidedBy: [ALICE] });
    expect(retried).toMatchObject({ outcome: 'rejected', rejectedBy: ALICE, comment: 'p99 too high' });
    expect(again).toMatchObject({ outcome: 'already-decided', status: 'rejected' });
    expect(flaky.deliveries).toEqual([
      {
        taskToken: TOKEN,
        kind: 'failure',
        error: ERROR_NAMES.approvalRejected,
        cause: `rejected by ${ALICE} at 2026-03-02T09:00:00.000Z: p99 too high`,
      },
    ]);
    expect(await store.get(approvalId)).toMatchObject({
      status: 'rejected',
      deliveredAt: START + 60_000,
      decisions: [{ approver: ALICE, decision: 'reject' }],
    });
  });

  it('when the retried delivery finds the task gone, it keeps the stored decision and says it was decided', async () => {
    // Prepare: the first call failed on the way back, so the task may well have heard it.
    const approvalId = await requested();
    deps = { ...deps, executions: new FailingOnceExecutionControl() };
    await rejectionOf(decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps));
    deps = { ...deps, executions: new GoneExecutionControl() };

    // Act
    const retried = await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Assess
    expect(retried).toMatchObject({ outcome: 'already-decided', status: 'approved', decidedBy: [ALICE] });
    const record = await store.get(approvalId);
    expect(record).toMatchObject({ status: 'approved' });
    expect(record?.deliveredAt).toBeUndefined();
  });

  it('when the decision reaches the task, the record says when', async () => {
    // Prepare
    const approvalId = await requested();

    // Act
    await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps);

    // Assess
    expect(await store.get(approvalId)).toMatchObject({ status: 'approved', deliveredAt: START });
  });

  it('when the approval was superseded by a redrive, its link no longer decides anything', async () => {
    // Prepare
    const notifier = new RecordingNotifier();
    const ids = sequentialIds();
    const old = await requestApproval(approvalRequest(), { store, notifier, clock, newId: ids });
    await requestApproval(approvalRequest({ taskToken: 'token-after-redrive' }), {
      store,
      notifier,
      clock,
      newId: ids,
    });

    // Act
    const result = await decideApproval(
      { approvalId: old.approvalId, approver: ALICE, decision: 'approve' },
      deps,
    );

    // Assess
    expect(result.outcome).toBe('superseded');
    expect(executions.deliveries).toHaveLength(0);
    expect((await store.get(old.approvalId))?.refusals).toMatchObject([{ reason: 'superseded' }]);
  });

  it('when the approval id is unknown, it returns not found', async () => {
    // Act
    const result = await decideApproval(
      { approvalId: 'no-such-id', approver: ALICE, decision: 'approve' },
      deps,
    );

    // Assess
    expect(result).toEqual({ outcome: 'not-found', approvalId: 'no-such-id' });
  });

  it('when the comment is longer than the limit, it keeps the first 1,000 characters', async () => {
    // Prepare
    const approvalId = await requested();

    // Act
    await decideApproval(
      { approvalId, approver: ALICE, decision: 'reject', comment: 'é'.repeat(5000) },
      deps,
    );

    // Assess
    const record = await store.get(approvalId);
    expect(record?.decisions[0]?.comment).toBe('é'.repeat(MAX_COMMENT_CHARS));
  });

  it('when opposite decisions race, exactly one wins and the others are told it was decided', async () => {
    // Prepare
    const approvalId = await requested({ approvers: [ALICE, BOB, CAROL], createdBy: undefined });

    // Act
    const results = await Promise.all([
      decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps),
      decideApproval({ approvalId, approver: BOB, decision: 'reject' }, deps),
      decideApproval({ approvalId, approver: CAROL, decision: 'approve' }, deps),
    ]);

    // Assess
    const winners = results.filter((r) => r.outcome === 'approved' || r.outcome === 'rejected');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'already-decided')).toHaveLength(2);
    expect(executions.deliveries).toHaveLength(1);
  });

  it('when two approvals race for a threshold of two, the later writer re-reads and completes the approval', async () => {
    // Prepare
    const approvalId = await requested({ minApprovals: 2, createdBy: undefined });

    // Act
    const results = await Promise.all([
      decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps),
      decideApproval({ approvalId, approver: BOB, decision: 'approve' }, deps),
    ]);

    // Assess
    expect(results.map((r) => r.outcome).sort()).toEqual(['approved', 'recorded']);
    expect(executions.deliveries).toHaveLength(1);
  });

  it('when it returns a record to render, the record never holds the task token', async () => {
    // Prepare
    const approvalId = await requested();
    const outcomes = [
      await decideApproval({ approvalId, approver: 'mallory@example.com', decision: 'approve' }, deps),
      await decideApproval({ approvalId, approver: ALICE, decision: 'approve' }, deps),
      await decideApproval({ approvalId, approver: BOB, decision: 'approve' }, deps),
    ];

    // Assess
    const record = await store.get(approvalId);
    expect(record?.taskToken).toBe(TOKEN);
    expect(JSON.stringify(outcomes)).not.toContain(TOKEN);
    expect(JSON.stringify(publicView(record!))).not.toContain(TOKEN);
    expect(publicView(record!)).not.toHaveProperty('taskToken');
  });
});

/** Step Functions whose first answer fails after the decision is stored (throttled), then works. */
class FailingOnceExecutionControl extends RecordingExecutionControl {
  private failed = false;

  override async sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean> {
    this.failOnce();
    return super.sendTaskSuccess(taskToken, output);
  }

  override async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    this.failOnce();
    return super.sendTaskFailure(taskToken, error, cause);
  }

  private failOnce(): void {
    if (this.failed) return;
    this.failed = true;
    throw new Error('Step Functions is throttling');
  }
}
