import {
  newApprovalId,
  requestApproval,
  MAX_EVIDENCE_BYTES,
} from '../../../shared/approvals/request-approval';
import { ManualClock } from '../../../shared/clock';
import { InvalidStepInputError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import { rejectionOf } from '../../support/fakes';
import { ALICE, BOB, CAROL, TOKEN, approvalRequest, sequentialIds } from './approval-fixtures';
import { InMemoryApprovalStore, RecordingNotifier } from './in-memory-approval-store';

const HOUR = 3600_000;

describe('requestApproval', () => {
  let clock: ManualClock;
  let store: InMemoryApprovalStore;
  let notifier: RecordingNotifier;
  let deps: Parameters<typeof requestApproval>[1];

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
    store = new InMemoryApprovalStore();
    notifier = new RecordingNotifier();
    deps = { store, notifier, clock, newId: sequentialIds() };
  });

  it('when a stage asks for approval, it stores a pending record expiring after the timeout and notifies without the token', async () => {
    // Act
    const result = await requestApproval(approvalRequest(), deps);

    // Assess
    expect(result).toEqual({ approvalId: 'approval-1', expiresAt: clock.now() + 24 * HOUR });
    const record = await store.get('approval-1');
    expect(record).toMatchObject({
      taskToken: TOKEN,
      status: 'pending',
      createdAt: clock.now(),
      decisions: [],
      refusals: [],
      notifiedAt: clock.now(),
    });
    expect(notifier.notified).toHaveLength(1);
    expect(notifier.notified[0]?.approvalId).toBe('approval-1');
    expect(JSON.stringify(notifier.notified)).not.toContain(TOKEN);
  });

  it('when the step is retried with the same task token, it returns the existing record and does not notify again', async () => {
    // Prepare
    const first = await requestApproval(approvalRequest(), deps);
    await clock.advance(HOUR);

    // Act
    const again = await requestApproval(approvalRequest(), deps);

    // Assess
    expect(again).toEqual(first);
    expect(notifier.notified).toHaveLength(1);
    expect(store.calls.filter((c) => c === 'create')).toHaveLength(1);
  });

  it('when the notifier failed the first time, it notifies on the retry with the same token', async () => {
    // Prepare
    notifier.failNext = true;
    const failure = await rejectionOf(requestApproval(approvalRequest(), deps));

    // Act
    const retried = await requestApproval(approvalRequest(), deps);

    // Assess
    expect(failure.message).toContain('mail server');
    expect(retried.approvalId).toBe('approval-1');
    expect(notifier.notified.map((n) => n.approvalId)).toEqual(['approval-1']);
  });

  it('when a redriven step brings a new token for the same stage, it supersedes the old record and notifies a new one', async () => {
    // Prepare
    await requestApproval(approvalRequest(), deps);
    await clock.advance(HOUR);

    // Act
    const redriven = await requestApproval(approvalRequest({ taskToken: 'token-after-redrive' }), deps);

    // Assess
    expect(redriven).toEqual({ approvalId: 'approval-2', expiresAt: clock.now() + 24 * HOUR });
    expect(await store.get('approval-1')).toMatchObject({ status: 'superseded', closedAt: clock.now() });
    expect(await store.get('approval-2')).toMatchObject({
      status: 'pending',
      taskToken: 'token-after-redrive',
    });
    expect(notifier.notified.map((n) => n.approvalId)).toEqual(['approval-1', 'approval-2']);
  });

  it('when the earlier record was already decided, a new token leaves it as it was', async () => {
    // Prepare
    await requestApproval(approvalRequest(), deps);
    store.patch('approval-1', { status: 'rejected' });

    // Act
    await requestApproval(approvalRequest({ taskToken: 'token-after-redrive' }), deps);

    // Assess
    expect((await store.get('approval-1'))?.status).toBe('rejected');
    expect(
      (await store.byStage('tag-orders-api-v1.4.0-0123456789ab', 'production', 'eu-west-1'))?.approvalId,
    ).toBe('approval-2');
  });

  it('when other regions or executions ask, it keeps their records apart', async () => {
    // Act
    const euWest = await requestApproval(approvalRequest(), deps);
    const usEast = await requestApproval(approvalRequest({ region: 'us-east-1', taskToken: 't2' }), deps);

    // Assess
    expect(euWest.approvalId).not.toBe(usEast.approvalId);
    expect((await store.get(euWest.approvalId))?.status).toBe('pending');
    expect(notifier.notified).toHaveLength(2);
  });

  it('when the approver list repeats an address in another case, it keeps one of them', async () => {
    // Act
    await requestApproval(approvalRequest({ approvers: [ALICE, ' Alice@Example.com ', BOB] }), deps);

    // Assess
    expect((await store.get('approval-1'))?.approvers).toEqual([ALICE, BOB]);
  });

  it('when self-approval is off and the tag creator is needed to reach the threshold, it fails as misconfigured', async () => {
    // Act
    const error = await rejectionOf(
      requestApproval(
        approvalRequest({ approvers: [ALICE, CAROL], minApprovals: 2, createdBy: CAROL }),
        deps,
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('self-approval is off');
    expect(notifier.notified).toHaveLength(0);
  });

  it('when minApprovals is not a whole number of at least one, it fails as invalid input', async () => {
    // Act
    const error = await rejectionOf(requestApproval(approvalRequest({ minApprovals: 0 }), deps));

    // Assess
    expect(error).toBeInstanceOf(InvalidStepInputError);
  });

  it('when the evidence is larger than the limit, it stores a note instead', async () => {
    // Prepare
    const evidence = { log: 'x'.repeat(MAX_EVIDENCE_BYTES) };

    // Act
    await requestApproval(approvalRequest({ evidence }), deps);

    // Assess
    expect((await store.get('approval-1'))?.evidence).toEqual({
      omitted: expect.stringContaining('over the 65536-byte limit'),
    });
  });

  it('when no id maker is given, it makes 128-bit URL-safe ids', async () => {
    // Act
    const ids = new Set(Array.from({ length: 100 }, () => newApprovalId()));

    // Assess
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
