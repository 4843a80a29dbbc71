import { approvedBy, sameApprover, type ApprovalView, type DecisionKind } from '../approval';
import type { DecisionResult } from '../decide-approval';

/**
 * What a confirmation page (GET) may show for a link, read-only: either the form, or the outcome a POST
 * would get without any chance of changing it (already decided, expired, not allowed, superseded).
 *
 * Mirrors the checks of `decideApproval` in the same order but writes nothing: no refusal, no expiry mark.
 * It is advice for the page only; the POST goes through `decideApproval`, which decides under a conditional
 * write whatever this said.
 */
export type DecisionPreview =
  | { outcome: 'form' }
  | Exclude<DecisionResult, { outcome: 'approved' | 'recorded' | 'rejected' | 'execution-not-waiting' }>;

export function previewDecision(
  approval: ApprovalView,
  approverClaimed: string,
  action: DecisionKind,
  nowMs: number,
): DecisionPreview {
  const approver = approval.approvers.find((a) => sameApprover(a, approverClaimed));
  if (approver === undefined) return { outcome: 'not-allowed', approval, reason: 'not-an-approver' };
  if (
    action === 'approve' &&
    !approval.allowSelfApproval &&
    approval.createdBy !== undefined &&
    sameApprover(approval.createdBy, approver)
  )
    return { outcome: 'not-allowed', approval, reason: 'self-approval' };
  if (approval.status === 'superseded') return { outcome: 'superseded', approval };
  if (approval.status === 'expired') return { outcome: 'expired', approval, expiresAt: approval.expiresAt };
  if (approval.status === 'approved' || approval.status === 'rejected') {
    // The deciding approver's own decision never reached the execution: the button delivers it.
    const closing = approval.decisions[approval.decisions.length - 1];
    if (
      approval.deliveredAt === undefined &&
      closing?.decision === action &&
      sameApprover(closing.approver, approver)
    )
      return { outcome: 'form' };
    const kind = approval.status === 'approved' ? 'approve' : 'reject';
    const deciding = approval.decisions.filter((d) => d.decision === kind);
    const last = deciding[deciding.length - 1];
    return {
      outcome: 'already-decided',
      approval,
      status: approval.status,
      decidedBy: deciding.map((d) => d.approver),
      ...(last && { at: last.at }),
    };
  }
  if (nowMs >= approval.expiresAt) return { outcome: 'expired', approval, expiresAt: approval.expiresAt };
  const own = approval.decisions.find((d) => sameApprover(d.approver, approver));
  if (own)
    return {
      outcome: 'already-decided',
      approval,
      status: approval.status,
      decidedBy: [own.approver],
      at: own.at,
    };
  return { outcome: 'form' };
}

/** Approvals so far and approvals needed, for "n of m". */
export function approvalProgress(approval: Pick<ApprovalView, 'decisions' | 'minApprovals'>): {
  approvals: number;
  minApprovals: number;
} {
  return { approvals: approvedBy(approval).length, minApprovals: approval.minApprovals };
}
