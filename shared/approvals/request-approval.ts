import type { Clock } from '../clock';
import { randomId } from '../random-id';
import { InvalidStepInputError, PipelineMisconfiguredError } from '../domain/errors';
import { publicView, sameApprover, type ApprovalRecord, type ApprovalRequest } from './approval';
import type { ApprovalNotifier, ApprovalStore } from '../ports/approvals';

export interface RequestApprovalDeps {
  store: ApprovalStore;
  notifier: ApprovalNotifier;
  clock: Clock;
  /** Makes approval ids; defaults to {@link newApprovalId}. Tests pass a predictable one. */
  newId?: () => string;
}

export interface RequestApprovalResult {
  approvalId: string;
  /** Epoch ms after which no decision is accepted. */
  expiresAt: number;
}

/** Evidence larger than this (as JSON) is replaced by a note: a DynamoDB item holds at most 400 KB. */
export const MAX_EVIDENCE_BYTES = 64 * 1024;

/** Races for the same stage's pointer are retried this many times before giving up. */
const MAX_ATTEMPTS = 3;

/**
 * 22 letters and digits (130 random bits): safe in a URL path and on a command line. Ids made before were
 * base64url and may start with `-`; `pipeline approve` still takes them (`--id=-…`).
 */
export function newApprovalId(): string {
  return randomId(22);
}

/**
 * Step "Wait for approval": records what waits for whom and notifies the approvers.
 *
 * 1. A retried step with the same task token finds its record and returns it; it notifies only if the
 *    earlier attempt did not get that far (the notifier failed or the Lambda died before it).
 * 2. A redriven step brings a new token for the same execution and stage: the old record, if still pending,
 *    becomes `superseded` (its links stop working) before the new one exists, so that a crash in between
 *    leaves no two live records for one stage.
 * 3. The new record is stored and the stage pointed at it, then the approvers are notified.
 */
export async function requestApproval(
  request: ApprovalRequest,
  deps: RequestApprovalDeps,
): Promise<RequestApprovalResult> {
  const normalized = validated(request);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await deps.store.byStage(request.executionName, request.environment, request.region);
    if (current && current.taskToken === request.taskToken) {
      if (current.notifiedAt === undefined) await notify(current, deps);
      return { approvalId: current.approvalId, expiresAt: current.expiresAt };
    }

    const now = deps.clock.now();
    // A record already decided or expired keeps its status: it is the audit trail of the earlier attempt.
    if (current?.status === 'pending') await deps.store.markSuperseded(current.approvalId, now);

    const record: ApprovalRecord = {
      ...normalized,
      approvalId: (deps.newId ?? newApprovalId)(),
      status: 'pending',
      createdAt: now,
      expiresAt: now + normalized.timeoutSeconds * 1000,
      decisions: [],
      refusals: [],
    };
    if (await deps.store.create(record, current?.approvalId)) {
      await notify(record, deps);
      return { approvalId: record.approvalId, expiresAt: record.expiresAt };
    }
    // Another attempt for this stage moved the pointer between our read and our write: look again.
  }
  throw new Error(
    `the approval for ${request.executionName}/${request.environment}/${request.region} kept changing ` +
      `under ${MAX_ATTEMPTS} attempts to request it; retry the step`,
  );
}

async function notify(record: ApprovalRecord, deps: RequestApprovalDeps): Promise<void> {
  await deps.notifier.notify(publicView(record));
  await deps.store.markNotified(record.approvalId, deps.clock.now());
}

/** Checks the policy can ever be met, removes duplicate approvers and bounds the evidence. */
function validated(request: ApprovalRequest): ApprovalRequest {
  const where = `approval for ${request.executionName}/${request.environment}/${request.region}`;
  if (typeof request.taskToken !== 'string' || request.taskToken.length === 0)
    throw new InvalidStepInputError(`${where}: the task token is missing`);
  if (!Number.isInteger(request.minApprovals) || request.minApprovals < 1)
    throw new InvalidStepInputError(`${where}: minApprovals must be a whole number ≥ 1`);
  if (!(request.timeoutSeconds > 0))
    throw new InvalidStepInputError(`${where}: timeoutSeconds must be a positive number`);

  const approvers: string[] = [];
  for (const raw of request.approvers) {
    const approver = raw.trim();
    if (approver && !approvers.some((a) => sameApprover(a, approver))) approvers.push(approver);
  }
  const eligible = approvers.filter(
    (a) =>
      request.allowSelfApproval || request.createdBy === undefined || !sameApprover(a, request.createdBy),
  );
  if (eligible.length < request.minApprovals)
    throw new PipelineMisconfiguredError(
      `${where}: ${request.minApprovals} approvals needed but only ${eligible.length} approver(s) may ` +
        `approve${eligible.length < approvers.length ? ` (${request.createdBy} created the tag and self-approval is off)` : ''}`,
    );

  const normalized: ApprovalRequest = { ...request, approvers };
  if (request.evidence !== undefined) {
    const json = JSON.stringify(request.evidence);
    const bytes = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
    if (json === undefined) delete normalized.evidence;
    else if (bytes > MAX_EVIDENCE_BYTES)
      normalized.evidence = {
        omitted: `the evidence was ${bytes} bytes, over the ${MAX_EVIDENCE_BYTES}-byte limit`,
      };
    else normalized.evidence = JSON.parse(json) as unknown;
  }
  return normalized;
}
