/**
 * The ports of production approvals: the store behind the approval records
 * (`shared/aws/approval-store.adapter.ts`), who tells the approvers, and the email they get (the mailer and
 * the link signer the email code uses).
 */
import type {
  ApprovalDecision,
  ApprovalRecord,
  ApprovalRefusal,
  ApprovalView,
  DecisionKind,
  ExpiryReason,
} from '../approvals/approval';

/** A decision to append, and what the record must still look like for it to count. */
export interface DecisionWrite {
  decision: ApprovalDecision;
  /**
   * How many decisions the caller saw. The write applies only if the record is still `pending` with exactly
   * that many decisions and none by this approver: of racing writers, one wins; the others re-read.
   */
  seenDecisions: number;
  /** The status after this decision: `pending` (more approvals needed), `approved` or `rejected`. */
  status: 'pending' | 'approved' | 'rejected';
}

export interface ApprovalStore {
  /**
   * Stores a new record, then points its stage (execution, environment, region) at it if the stage still
   * points at `previousApprovalId` (undefined: at nothing). Returns false when another request moved the
   * pointer first; the stored record is then unreachable and harmless (never notified, expires).
   */
  create(record: ApprovalRecord, previousApprovalId: string | undefined): Promise<boolean>;
  get(approvalId: string): Promise<ApprovalRecord | undefined>;
  /** The record the stage currently points at, whatever its status. */
  byStage(executionName: string, environment: string, region: string): Promise<ApprovalRecord | undefined>;
  /** Appends a decision under the conditions of {@link DecisionWrite}: the updated record, or undefined. */
  addDecision(approvalId: string, write: DecisionWrite): Promise<ApprovalRecord | undefined>;
  /**
   * Marks the record expired. `timed-out` applies only to a pending record; `execution-not-waiting` also to
   * an approved or rejected one (the decision was recorded but the task had gone). True when applied.
   */
  markExpired(approvalId: string, expiry: { at: number; reason: ExpiryReason }): Promise<boolean>;
  /** Marks a pending record superseded (a redrive brought a new task token). True when applied. */
  markSuperseded(approvalId: string, at: number): Promise<boolean>;
  /** Remembers that the waiting task was told the decision, so that nobody tells it again. */
  markDelivered(approvalId: string, at: number): Promise<void>;
  /** Remembers that the approvers were notified, so that a retried step does not notify again. */
  markNotified(approvalId: string, at: number): Promise<void>;
  /** Appends a refused attempt (counted only, past `MAX_REFUSALS`). Does nothing for an unknown id. */
  recordRefusal(approvalId: string, refusal: ApprovalRefusal): Promise<void>;
}

/** Tells the approvers an approval waits for them (email later). Rejects when nobody could be told. */
export interface ApprovalNotifier {
  notify(record: ApprovalView): Promise<void>;
}

/** One email to one recipient, in both forms: mail clients show the HTML, others and filters read the text. */
export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Sends one email. SES in AWS (`shared/aws/ses-mailer.adapter.ts`), a mailbox in memory locally. */
export interface Mailer {
  /**
   * Resolves once the message was accepted for delivery. Rejects with `AwsTransientError` when a later try
   * may succeed (throttling, an outage) and `PipelineMisconfiguredError` when none will (unverified sender).
   */
  send(message: MailMessage): Promise<void>;
}

/**
 * Makes the link one approver opens to approve or reject one approval. The link is signed for that approver
 * and action and stops working at `view.expiresAt`; it opens a confirmation page, it never decides on a GET.
 * The real signer lives in `shared/approvals/links/`; this port keeps the email code independent of it.
 */
export interface LinkSigner {
  linkFor(view: ApprovalView, approver: string, action: DecisionKind): Promise<string>;
}
