import { publicView, type ApprovalRecord, type ApprovalView } from '../../../../shared/approvals/approval';
import type { LinkSigner, MailMessage, Mailer } from '../../../../shared/ports/approvals';
import { approvalRequest } from '../approval-fixtures';

export const CREATED_AT = Date.UTC(2026, 10, 20, 10, 0);
export const BASE_URL = 'https://approvals.example.com';

/** A pending production approval record for orders-api v1.4.0 in eu-west-1 (with its task token). */
export function approvalRecord(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    ...approvalRequest(),
    approvalId: 'Zm9vYmFyYmF6cXV4MTIzNA',
    status: 'pending',
    createdAt: CREATED_AT,
    expiresAt: CREATED_AT + 24 * 3600_000,
    decisions: [],
    refusals: [],
    ...overrides,
  };
}

/** The same record as the notifier receives it: without the task token. */
export function approvalView(overrides: Partial<ApprovalRecord> = {}): ApprovalView {
  return publicView(approvalRecord(overrides));
}

/** Links that say whom and what they are for, so tests can tell them apart. */
export class FakeLinkSigner implements LinkSigner {
  readonly calls: string[] = [];
  failFor = new Set<string>();

  async linkFor(view: ApprovalView, approver: string, action: 'approve' | 'reject'): Promise<string> {
    this.calls.push(`${approver}:${action}`);
    if (this.failFor.has(approver)) throw new Error(`cannot sign for ${approver}`);
    return linkOf(view.approvalId, approver, action);
  }
}

export function linkOf(approvalId: string, approver: string, action: 'approve' | 'reject'): string {
  return `${BASE_URL}/approvals/${approvalId}/${action}?approver=${encodeURIComponent(approver)}&sig=s1g-${action}`;
}

/** A mailer that records what it sent and fails for the addresses given, with the error given. */
export class RecordingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  readonly failures = new Map<string, Error>();
  private inFlight = 0;
  maxInFlight = 0;

  async send(message: MailMessage): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const failure = this.failures.get(message.to);
      if (failure) throw failure;
      this.sent.push(message);
    } finally {
      this.inFlight--;
    }
  }
}
