import type { Clock } from '../clock';
import type { DeploymentRecordStore, ExecutionControl } from '../ports/deployment';
import { ERROR_NAMES } from '../domain/errors';
import {
  approvedBy,
  MAX_COMMENT_CHARS,
  type ApprovalDecision,
  publicView,
  sameApprover,
  type ApprovalRecord,
  type ApprovalStatus,
  type ApprovalView,
  type DecisionKind,
  type RefusalReason,
} from './approval';
import type { ApprovalStore } from '../ports/approvals';

export interface DecideApprovalDeps {
  store: ApprovalStore;
  executions: ExecutionControl;
  /** Where the deciding decision is recorded for the audit trail (`pipeline history`). */
  records: DeploymentRecordStore;
  clock: Clock;
}

/** One decision as a page, an email link or the CLI submits it. */
export interface DecisionAttempt {
  approvalId: string;
  /** The approver's email, compared case-insensitively with the approver list. */
  approver: string;
  decision: DecisionKind;
  /** Cut to {@link MAX_COMMENT_CHARS}. */
  comment?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** What happened, for the page or the CLI to render. Every outcome but `not-found` carries the record. */
export type DecisionResult =
  | { outcome: 'approved'; approval: ApprovalView; approvedBy: string[]; at: number }
  | { outcome: 'recorded'; approval: ApprovalView; approvals: number; minApprovals: number }
  | { outcome: 'rejected'; approval: ApprovalView; rejectedBy: string; at: number; comment?: string }
  | {
      outcome: 'already-decided';
      approval: ApprovalView;
      /** `pending` when this approver's own earlier decision is what was decided. */
      status: ApprovalStatus;
      decidedBy: string[];
      /** Epoch ms of the deciding decision. */
      at?: number;
    }
  | { outcome: 'expired'; approval: ApprovalView; expiresAt: number }
  | { outcome: 'not-allowed'; approval: ApprovalView; reason: 'not-an-approver' | 'self-approval' }
  | { outcome: 'not-found'; approvalId: string }
  | { outcome: 'superseded'; approval: ApprovalView }
  | { outcome: 'execution-not-waiting'; approval: ApprovalView };

const MAX_APPROVER_CHARS = 320;
const MAX_SOURCE_IP_CHARS = 64;
const MAX_USER_AGENT_CHARS = 512;

/**
 * Takes one approver's decision on one approval.
 *
 * 1. Refuses (and records why) an unknown approver, the tag creator approving their own release when
 *    self-approval is off, a superseded or expired approval, one already decided and a second decision by
 *    the same approver. The tag creator may still reject: stopping a release needs no second pair of eyes.
 * 2. Appends the decision with a conditional write: of racing decisions exactly one moves the record out
 *    of `pending`; a writer that lost to a decision that kept it pending (an approval short of the
 *    threshold) re-reads and tries again, one that lost to a closing decision gets `already-decided`.
 * 3. Resumes the execution on approval (`minApprovals` distinct approvers) and fails it on the first
 *    rejection, then marks the record delivered. When the task no longer waits (timed out, execution
 *    stopped, redriven), marks the record expired and says so. When the Step Functions call fails, the
 *    error propagates ("try again") and the approver whose decision closed the record delivers it by
 *    deciding the same again; anyone else is told it was decided.
 */
export async function decideApproval(
  attempt: DecisionAttempt,
  deps: DecideApprovalDeps,
): Promise<DecisionResult> {
  const { store, clock } = deps;
  const claimed = bounded(attempt.approver.trim(), MAX_APPROVER_CHARS);
  const comment = boundedComment(attempt.comment);
  const context = {
    ...(attempt.sourceIp !== undefined && { sourceIp: bounded(attempt.sourceIp, MAX_SOURCE_IP_CHARS) }),
    ...(attempt.userAgent !== undefined && { userAgent: bounded(attempt.userAgent, MAX_USER_AGENT_CHARS) }),
  };
  const refuse = async (record: ApprovalRecord, reason: RefusalReason): Promise<void> => {
    await store.recordRefusal(record.approvalId, {
      reason,
      ...(claimed && { approverClaimed: claimed }),
      at: clock.now(),
      ...context,
    });
  };

  let record = await store.get(attempt.approvalId);
  // Each failed write means another decision landed; at most minApprovals of them keep the record pending.
  for (let round = 0; record; round++) {
    const approver = record.approvers.find((a) => sameApprover(a, claimed));
    if (approver === undefined) {
      await refuse(record, 'not-an-approver');
      return { outcome: 'not-allowed', approval: publicView(record), reason: 'not-an-approver' };
    }
    if (
      attempt.decision === 'approve' &&
      !record.allowSelfApproval &&
      record.createdBy !== undefined &&
      sameApprover(record.createdBy, approver)
    ) {
      await refuse(record, 'self-approval');
      return { outcome: 'not-allowed', approval: publicView(record), reason: 'self-approval' };
    }
    if (record.status === 'superseded') {
      await refuse(record, 'superseded');
      return { outcome: 'superseded', approval: publicView(record) };
    }
    if (record.status === 'expired') {
      await refuse(record, 'expired');
      return { outcome: 'expired', approval: publicView(record), expiresAt: record.expiresAt };
    }
    const undelivered = undeliveredDecisionOf(record, approver, attempt.decision);
    if (undelivered) return deliver(record, approver, undelivered.at, undelivered.comment, deps, true);
    if (record.status === 'approved' || record.status === 'rejected') {
      await refuse(record, 'already-decided');
      return alreadyDecided(record, record.status);
    }
    const now = clock.now();
    if (now >= record.expiresAt) {
      await store.markExpired(record.approvalId, { at: now, reason: 'timed-out' });
      await refuse(record, 'expired');
      const latest = (await store.get(record.approvalId)) ?? record;
      return { outcome: 'expired', approval: publicView(latest), expiresAt: record.expiresAt };
    }
    const own = record.decisions.find((d) => sameApprover(d.approver, approver));
    if (own) {
      await refuse(record, 'duplicate-decision');
      return {
        outcome: 'already-decided',
        approval: publicView(record),
        status: record.status,
        decidedBy: [own.approver],
        at: own.at,
      };
    }

    const approvals = approvedBy(record).length + (attempt.decision === 'approve' ? 1 : 0);
    const status =
      attempt.decision === 'reject' ? 'rejected' : approvals >= record.minApprovals ? 'approved' : 'pending';
    const updated = await store.addDecision(record.approvalId, {
      decision: { approver, decision: attempt.decision, at: now, ...(comment && { comment }), ...context },
      seenDecisions: record.decisions.length,
      status,
    });
    if (updated) return deliver(updated, approver, now, comment, deps);

    if (round > record.approvers.length + 2)
      throw new Error(`the approval ${record.approvalId} kept changing while deciding it; try again`);
    record = await store.get(attempt.approvalId);
  }
  return { outcome: 'not-found', approvalId: attempt.approvalId };
}

/**
 * The decision that closed the record when it is this approver's same decision and the waiting task never
 * heard it (the Step Functions call failed after the write): pressing the button again delivers it.
 */
function undeliveredDecisionOf(
  record: ApprovalRecord,
  approver: string,
  decision: DecisionKind,
): ApprovalDecision | undefined {
  if ((record.status !== 'approved' && record.status !== 'rejected') || record.deliveredAt !== undefined)
    return undefined;
  const closing = record.decisions[record.decisions.length - 1];
  return closing?.decision === decision && sameApprover(closing.approver, approver) ? closing : undefined;
}

/**
 * Tells the waiting task what was decided, once the decision is stored, and remembers it did. `retry`: an
 * earlier attempt stored the decision but its call failed; when the task is gone now, that call may have
 * reached it before failing, so the record keeps its decision rather than being marked expired.
 */
async function deliver(
  record: ApprovalRecord,
  approver: string,
  at: number,
  comment: string | undefined,
  deps: DecideApprovalDeps,
  retry = false,
): Promise<DecisionResult> {
  const iso = new Date(at).toISOString();
  if (record.status === 'pending')
    return {
      outcome: 'recorded',
      approval: publicView(record),
      approvals: approvedBy(record).length,
      minApprovals: record.minApprovals,
    };

  const delivered =
    record.status === 'approved'
      ? await deps.executions.sendTaskSuccess(record.taskToken, {
          approvalId: record.approvalId,
          approvedBy: approvedBy(record),
          at: iso,
        })
      : await deps.executions.sendTaskFailure(
          record.taskToken,
          ERROR_NAMES.approvalRejected,
          `rejected by ${approver} at ${iso}${comment ? `: ${comment}` : ''}`,
        );
  if (!delivered && retry && (record.status === 'approved' || record.status === 'rejected'))
    return alreadyDecided(record, record.status);
  if (!delivered) {
    await deps.store.markExpired(record.approvalId, {
      at: deps.clock.now(),
      reason: 'execution-not-waiting',
    });
    const latest = (await deps.store.get(record.approvalId)) ?? record;
    return { outcome: 'execution-not-waiting', approval: publicView(latest) };
  }
  await deps.store.markDelivered(record.approvalId, deps.clock.now());
  await deps.records.put({
    service: record.service,
    environment: record.environment,
    region: record.region,
    version: record.version,
    commit: record.commit,
    digest: record.digest,
    execution: record.executionName,
    kind: 'approval',
    outcome: record.status === 'approved' ? 'approved' : 'rejected',
    triggeredBy: record.status === 'approved' ? approvedBy(record).join(', ') : approver,
    at,
    ...(comment && { detail: comment }),
  });
  return record.status === 'approved'
    ? { outcome: 'approved', approval: publicView(record), approvedBy: approvedBy(record), at }
    : {
        outcome: 'rejected',
        approval: publicView(record),
        rejectedBy: approver,
        at,
        ...(comment && { comment }),
      };
}

function alreadyDecided(record: ApprovalRecord, status: 'approved' | 'rejected'): DecisionResult {
  const deciding =
    status === 'approved'
      ? record.decisions.filter((d) => d.decision === 'approve')
      : record.decisions.filter((d) => d.decision === 'reject');
  const last = deciding[deciding.length - 1];
  return {
    outcome: 'already-decided',
    approval: publicView(record),
    status,
    decidedBy: deciding.map((d) => d.approver),
    ...(last && { at: last.at }),
  };
}

/** Trimmed, empty → undefined, at most {@link MAX_COMMENT_CHARS} characters (code points). */
function boundedComment(comment: string | undefined): string | undefined {
  const trimmed = comment?.trim();
  return trimmed ? bounded(trimmed, MAX_COMMENT_CHARS) : undefined;
}

function bounded(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : chars.slice(0, max).join('');
}
