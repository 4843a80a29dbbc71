import { EmailApprovalNotifier, type NotifierLog } from '../../../../shared/approvals/email/email-notifier';
import { requestApproval } from '../../../../shared/approvals/request-approval';
import { ManualClock } from '../../../../shared/clock';
import { AwsTransientError, PipelineMisconfiguredError } from '../../../../shared/domain/errors';
import { rejectionOf } from '../../../support/fakes';
import { ALICE, BOB, CAROL, approvalRequest, sequentialIds } from '../approval-fixtures';
import { InMemoryApprovalStore } from '../in-memory-approval-store';
import { FakeLinkSigner, RecordingMailer, approvalView, linkOf } from './email-fixtures';

class RecordingLog implements NotifierLog {
  readonly warnings: { message: string; details: Record<string, unknown> }[] = [];
  warn(message: string, details: Record<string, unknown>): void {
    this.warnings.push({ message, details });
  }
}

const throttled = () =>
  new AwsTransientError('SES SendEmail throttled (TooManyRequestsException); safe to retry later');
const rejected = () => new PipelineMisconfiguredError('SES rejected the message: verify the sender identity');

describe('EmailApprovalNotifier', () => {
  let mailer: RecordingMailer;
  let signer: FakeLinkSigner;
  let log: RecordingLog;
  let notifier: EmailApprovalNotifier;

  beforeEach(() => {
    mailer = new RecordingMailer();
    signer = new FakeLinkSigner();
    log = new RecordingLog();
    notifier = new EmailApprovalNotifier({ mailer, signer, log });
  });

  it('when an approval waits, it emails each approver their own links, one at a time', async () => {
    // Prepare
    const view = approvalView({ createdBy: 'dave@example.com' });

    // Act
    await notifier.notify(view);

    // Assess
    expect(mailer.sent.map((m) => m.to)).toEqual([ALICE, BOB, CAROL]);
    expect(mailer.maxInFlight).toBe(1);
    for (const message of mailer.sent) {
      expect(message.subject).toBe('Approve orders-api v1.4.0 for production/eu-west-1?');
      expect(message.text).toContain(linkOf(view.approvalId, message.to, 'approve'));
      expect(message.text).toContain(linkOf(view.approvalId, message.to, 'reject'));
      for (const other of [ALICE, BOB, CAROL].filter((a) => a !== message.to))
        expect(message.text).not.toContain(encodeURIComponent(other));
    }
    expect(log.warnings).toEqual([]);
  });

  it('when self-approval is off, it does not email the tag creator, whose decision would be refused', async () => {
    // Prepare
    const view = approvalView({ createdBy: ' Carol@Example.com ', allowSelfApproval: false });

    // Act
    const outcome = await notifier.send(view);

    // Assess
    expect(outcome).toEqual({ sent: [ALICE, BOB], failed: [], skipped: [CAROL] });
    expect(mailer.sent.map((m) => m.to)).toEqual([ALICE, BOB]);
    expect(signer.calls.some((c) => c.startsWith(CAROL))).toBe(false);
  });

  it('when self-approval is on, it emails the tag creator too', async () => {
    // Prepare
    const view = approvalView({ createdBy: CAROL, allowSelfApproval: true });

    // Act
    await notifier.notify(view);

    // Assess
    expect(mailer.sent.map((m) => m.to)).toEqual([ALICE, BOB, CAROL]);
  });

  it('when some approvers cannot be emailed, it emails the others, resolves and logs who was missed', async () => {
    // Prepare
    mailer.failures.set(ALICE, throttled());
    signer.failFor.add(BOB);
    const view = approvalView({ createdBy: undefined });

    // Act
    const outcome = await notifier.send(view);

    // Assess
    expect(outcome.sent).toEqual([CAROL]);
    expect(outcome.failed.map((f) => [f.approver, f.errorName])).toEqual([
      [ALICE, 'AwsTransientError'],
      [BOB, 'Error'],
    ]);
    expect(log.warnings).toEqual([
      {
        message: 'some approvers could not be emailed',
        details: { approvalId: view.approvalId, sent: [CAROL], failed: outcome.failed },
      },
    ]);
  });

  it('when nobody can be emailed and a failure may pass, it throws AwsTransientError naming each approver', async () => {
    // Prepare
    mailer.failures.set(ALICE, throttled());
    mailer.failures.set(BOB, rejected());

    // Act
    const error = await rejectionOf(notifier.notify(approvalView()));

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toContain(`${ALICE}: AwsTransientError`);
    expect(error.message).toContain(`${BOB}: PipelineMisconfigured`);
  });

  it('when nobody can be emailed and SES refuses every message, it throws PipelineMisconfigured with the fix', async () => {
    // Prepare
    mailer.failures.set(ALICE, rejected());
    mailer.failures.set(BOB, rejected());

    // Act
    const error = await rejectionOf(notifier.notify(approvalView()));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('verify the sender identity');
  });

  it('when the only approver is the tag creator and self-approval is off, it throws PipelineMisconfigured', async () => {
    // Prepare
    const view = approvalView({ approvers: [CAROL], createdBy: CAROL, allowSelfApproval: false });

    // Act
    const error = await rejectionOf(notifier.notify(view));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(mailer.sent).toEqual([]);
  });

  describe('with requestApproval', () => {
    let clock: ManualClock;
    let store: InMemoryApprovalStore;
    let deps: Parameters<typeof requestApproval>[1];

    beforeEach(() => {
      clock = new ManualClock(Date.UTC(2026, 2, 2, 9, 0));
      store = new InMemoryApprovalStore();
      deps = { store, notifier, clock, newId: sequentialIds() };
    });

    it('when every send fails, the step fails unnotified and its retry emails everyone', async () => {
      // Prepare
      mailer.failures.set(ALICE, throttled());
      mailer.failures.set(BOB, throttled());
      const failure = await rejectionOf(requestApproval(approvalRequest(), deps));
      mailer.failures.clear();

      // Act
      await requestApproval(approvalRequest(), deps);

      // Assess
      expect(failure).toBeInstanceOf(AwsTransientError);
      expect(mailer.sent.map((m) => m.to)).toEqual([ALICE, BOB]);
      expect((await store.get('approval-1'))?.notifiedAt).toBe(clock.now());
    });

    it('when some sends fail, the request counts as notified and a retried step emails nobody twice', async () => {
      // Prepare
      mailer.failures.set(BOB, throttled());
      await requestApproval(approvalRequest(), deps);
      mailer.failures.clear();

      // Act
      await requestApproval(approvalRequest(), deps);

      // Assess
      expect(mailer.sent.map((m) => m.to)).toEqual([ALICE]);
      expect((await store.get('approval-1'))?.notifiedAt).toBe(clock.now());
      expect(log.warnings).toHaveLength(1);
    });
  });
});
