/**
 * Production approvals: before each production region the release execution waits on a `.waitForTaskToken`
 * task; approvers decide; the execution resumes or stops. These are the records behind that wait. The
 * email links, the HTML pages, the CLI and the local runtime all go through `requestApproval` and
 * `decideApproval`, so there is one domain path for every way a decision arrives.
 *
 * The task token resumes a production deploy: it is kept in the record but never shown. Anything meant for
 * display (notifications, pages, CLI output, logs) gets {@link publicView}, which drops it.
 */

/** What the "Wait for approval" step asks for, from the stage's `approval` policy and the release. */
export interface ApprovalRequest {
  /** The `.waitForTaskToken` token of the waiting task. Secret: never displayed. */
  taskToken: string;
  executionName: string;
  service: string;
  version: string;
  commit: string;
  digest: string;
  environment: string;
  region: string;
  /** Email addresses allowed to decide, compared case-insensitively. */
  approvers: string[];
  /** Distinct approvers needed; one rejection rejects. */
  minApprovals: number;
  /** When false, `createdBy` (who created the release tag) may not approve it. */
  allowSelfApproval: boolean;
  /** Who created the release tag, when known. */
  createdBy?: string;
  /** What staging and earlier regions showed, for the approvers (JSON). */
  evidence?: unknown;
  /**
   * Approving also migrates the stage's database before the deploy (docs/migrations.md): the email and
   * the page ask to "migrate and deploy", and the evidence holds the pending migrations.
   */
  migrates?: boolean;
  timeoutSeconds: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'superseded';

export type DecisionKind = 'approve' | 'reject';

export interface ApprovalDecision {
  /** The approver as spelled in the approver list. */
  approver: string;
  decision: DecisionKind;
  /** Epoch ms. */
  at: number;
  comment?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** Why an attempt to decide was refused. */
export type RefusalReason =
  | 'not-an-approver'
  | 'self-approval'
  | 'already-decided'
  | 'duplicate-decision'
  | 'expired'
  | 'superseded'
  /** A POST whose link signature, form token or origin did not verify (tampered, forged or cross-site). */
  | 'invalid-link';

/** A refused attempt, kept for the audit trail. */
export interface ApprovalRefusal {
  reason: RefusalReason;
  /** Who the caller said they were, as given (bounded). */
  approverClaimed?: string;
  /** Epoch ms. */
  at: number;
  sourceIp?: string;
  userAgent?: string;
}

/** Why a record was marked expired: its time ran out, or the task no longer waited when told the decision. */
export type ExpiryReason = 'timed-out' | 'execution-not-waiting';

export interface ApprovalRecord extends ApprovalRequest {
  /** Random, 128 bits, URL-safe: what links and pages name. */
  approvalId: string;
  status: ApprovalStatus;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms after which no decision is accepted. */
  expiresAt: number;
  decisions: ApprovalDecision[];
  refusals: ApprovalRefusal[];
  /** Epoch ms the approvers were notified; unset until the notifier succeeded (a retried step notifies). */
  notifiedAt?: number;
  /** Epoch ms the record left `pending`. */
  closedAt?: number;
  /**
   * Epoch ms the waiting task was told the decision. A closed record without it had its Step Functions
   * call fail: the deciding approver's retry delivers it (see `decideApproval`).
   */
  deliveredAt?: number;
  /** Set with status `expired`. */
  expiredReason?: ExpiryReason;
  /** Refusals not kept because the record already holds {@link MAX_REFUSALS} (an item has a size limit). */
  refusalsDropped?: number;
}

/** A record as anything meant for display may see it: without the task token. */
export type ApprovalView = Omit<ApprovalRecord, 'taskToken'>;

/** Refusals kept per record; later ones are only counted, so that nobody can grow an item past its limit. */
export const MAX_REFUSALS = 200;

/** Comments longer than this are cut; they end up in the execution's failure cause and in emails. */
export const MAX_COMMENT_CHARS = 1000;

/** The record without its task token, as a copy: safe to render, log or send. */
export function publicView(record: ApprovalRecord): ApprovalView {
  const { taskToken: _secret, ...view } = record;
  return structuredClone(view);
}

/** Approver emails compare case-insensitively and ignore surrounding spaces. */
export function sameApprover(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Approvers who approved, in the order they did. */
export function approvedBy(record: Pick<ApprovalRecord, 'decisions'>): string[] {
  return record.decisions.filter((d) => d.decision === 'approve').map((d) => d.approver);
}
