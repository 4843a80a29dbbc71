import type { Clock } from '../../clock';
import type { DeploymentRecordStore, ExecutionControl } from '../../ports/deployment';
import type { FormRead } from '../../http/form';
import type { ClientInfo } from '../../http/request';
import { errorFields, logger } from '../../middleware/lambda-step';
import { decideApproval, type DecisionResult } from '../decide-approval';
import type { ApprovalStore } from '../../ports/approvals';
import type { ApprovalPage } from './pages';
import { previewDecision } from './preview';
import {
  formToken,
  isApprovalId,
  verifyFormToken,
  verifyLink,
  type LinkFailureReason,
  type LinkFields,
  type LinkParams,
  type SigningKeySource,
} from './signing';

export interface ServeApprovalPageDeps {
  store: ApprovalStore;
  executions: ExecutionControl;
  records: DeploymentRecordStore;
  clock: Clock;
  keys: SigningKeySource;
}

/** The link's query parameters; undefined when the query was too long or named one of them twice. */
export type LinkQuery = Omit<LinkParams, 'approvalId'> | undefined;

/** A request for an approval page, as the HTTP adapter read it. */
export type PageRequest =
  | { method: 'GET' | 'HEAD'; approvalId?: string; query: LinkQuery; client: ClientInfo }
  | {
      method: 'POST';
      approvalId?: string;
      query: LinkQuery;
      form: FormRead<'formToken' | 'comment'>;
      /** Sent from another site (Sec-Fetch-Site or Origin). */
      crossSite: boolean;
      client: ClientInfo;
    }
  | { method: 'other' };

/** What a request became: the page kind, or the decision outcome. For metrics and the log. */
export type PageOutcome =
  'confirm' | DecisionResult['outcome'] | Exclude<ApprovalPage['kind'], 'confirm' | 'outcome'>;

export interface PageAnswer {
  page: ApprovalPage;
  outcome: PageOutcome;
}

/** A dependency (store, Step Functions, key source) failed: the request may be retried. */
class Unavailable extends Error {
  constructor(readonly failure: unknown) {
    super('a dependency failed');
    this.name = 'Unavailable';
  }
}

/** What the audit log says about a refused link, beyond what the page says. */
type RefusedBecause = LinkFailureReason | 'bad-form-token' | 'cross-site' | 'malformed-form';

/**
 * The approval pages behind the links in approval emails:
 *
 * - GET and HEAD verify the link and show what ships with one button, or why there is none. They change
 *   nothing, not even the audit trail: mail scanners and link previews open every link.
 * - POST (the button) verifies the link again, the form token the page embedded and the request's origin,
 *   then calls `decideApproval` with the approver from the signed link, and shows what came of it.
 *
 * A client mistake is a refusal page; an AWS failure the "try again" page (logged). Only a bug throws.
 * Neither the task token (not in an ApprovalView) nor the link's signature appears in a page or a log line.
 */
export async function serveApprovalPage(
  request: PageRequest,
  deps: ServeApprovalPageDeps,
): Promise<PageAnswer> {
  try {
    if (request.method === 'other') return problem('method-not-allowed');
    return request.method === 'POST' ? await decide(request, deps) : await show(request, deps);
  } catch (error) {
    if (!(error instanceof Unavailable)) throw error;
    logger.error('approval page dependency failed', errorFields(error.failure));
    return problem('unavailable');
  }
}

/** GET and HEAD: read only. */
async function show(
  request: Extract<PageRequest, { method: 'GET' | 'HEAD' }>,
  deps: ServeApprovalPageDeps,
): Promise<PageAnswer> {
  const { approvalId, query, client } = request;
  if (!query) return refused('malformed', approvalId, client);
  const now = deps.clock.now();
  const verified = await available(() => verifyLink({ approvalId, ...query }, deps.keys, now));
  if (!verified.ok) return refused(verified.reason, verified.approvalId, client, verified.link, false);
  const link = verified.link;
  const record = await available(() => deps.store.get(link.approvalId));
  if (!record) return outcomePage({ outcome: 'not-found', approvalId: link.approvalId }, link);
  const { taskToken: _secret, ...approval } = record;
  const preview = previewDecision(approval, link.approver, link.action, now);
  if (preview.outcome !== 'form') return outcomePage(preview, link);
  const token = formToken(link, await available(() => deps.keys.get()));
  return { page: { kind: 'confirm', approval, link, formToken: token, now }, outcome: 'confirm' };
}

/** POST: the button. Cheap refusals first: nothing is read before the request has the shape of a form post. */
async function decide(
  request: Extract<PageRequest, { method: 'POST' }>,
  deps: ServeApprovalPageDeps,
): Promise<PageAnswer> {
  const { approvalId, query, form, client } = request;
  if (!form.ok && form.problem !== 'malformed') return problem(form.problem);
  if (!query || !form.ok) return refused('malformed-form', approvalId, client);
  if (request.crossSite) {
    await auditInvalid(deps, approvalId, query.approver, client);
    return refused('cross-site', approvalId, client);
  }

  const now = deps.clock.now();
  const verified = await available(() => verifyLink({ approvalId, ...query }, deps.keys, now));
  if (!verified.ok) {
    if (verified.reason === 'expired' && verified.link) {
      // The link was genuine: the attempt goes to the approval's audit trail (decideApproval never saw it).
      const link = verified.link;
      await available(() =>
        deps.store.recordRefusal(link.approvalId, {
          reason: 'expired',
          approverClaimed: link.approver,
          at: now,
          ...client,
        }),
      );
    } else await auditInvalid(deps, approvalId, query.approver, client);
    return refused(verified.reason, verified.approvalId, client, verified.link);
  }
  const link = verified.link;
  if (!(await available(() => verifyFormToken(link, form.fields.formToken, deps.keys)))) {
    await auditInvalid(deps, link.approvalId, link.approver, client);
    return refused('bad-form-token', link.approvalId, client, link);
  }

  const { comment } = form.fields;
  const result = await available(() =>
    decideApproval(
      {
        approvalId: link.approvalId,
        approver: link.approver,
        decision: link.action,
        ...(comment !== undefined && { comment }),
        ...client,
      },
      deps,
    ),
  );
  logger.info('approval decision attempted', {
    approvalId: link.approvalId,
    approver: link.approver,
    action: link.action,
    outcome: result.outcome,
    sourceIp: client.sourceIp,
  });
  return { page: { kind: 'outcome', result, action: link.action }, outcome: result.outcome };
}

async function available<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new Unavailable(error);
  }
}

/**
 * A decision attempt that failed verification goes to the approval's audit trail (the store ignores ids
 * it does not know, so guessed ids write nothing). The claimed approver is bounded, never trusted.
 */
async function auditInvalid(
  deps: ServeApprovalPageDeps,
  approvalId: string | undefined,
  approverClaimed: string | undefined,
  client: ClientInfo,
): Promise<void> {
  if (!isApprovalId(approvalId)) return;
  await available(() =>
    deps.store.recordRefusal(approvalId, {
      reason: 'invalid-link',
      ...(approverClaimed && { approverClaimed: approverClaimed.slice(0, 320) }),
      at: deps.clock.now(),
      ...client,
    }),
  );
}

function problem(kind: Exclude<ApprovalPage['kind'], 'confirm' | 'outcome'>): PageAnswer {
  return { page: { kind } as ApprovalPage, outcome: kind };
}

function outcomePage(
  result: Extract<ApprovalPage, { kind: 'outcome' }>['result'],
  link: LinkFields,
): PageAnswer {
  return { page: { kind: 'outcome', result, action: link.action }, outcome: result.outcome };
}

/**
 * A link or form that did not verify: the page says "invalid link" or "expired link" and no more; the log
 * keeps the reason. Only verified fields are logged (an unverified approver is whatever someone typed).
 */
function refused(
  because: RefusedBecause,
  approvalId: string | undefined,
  client: ClientInfo,
  link?: LinkFields,
  decisionAttempt = true,
): PageAnswer {
  logger.warn(decisionAttempt ? 'approval decision refused' : 'approval link refused', {
    reason: because,
    ...(isApprovalId(approvalId) && { approvalId }),
    ...(link && { approver: link.approver, action: link.action }),
    sourceIp: client.sourceIp,
  });
  return problem(because === 'expired' ? 'expired-link' : 'invalid-link');
}
