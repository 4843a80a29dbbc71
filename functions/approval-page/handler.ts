import { readRuntimeEnv } from '../../shared/config/runtime-env';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { decideApproval, type DecisionResult } from '../../shared/approvals/decide-approval';
import { renderPage, type ApprovalPage } from '../../shared/approvals/links/pages';
import { previewDecision } from '../../shared/approvals/links/preview';
import { SecretSigningKeySource } from '../../shared/approvals/links/secret-signing-keys';
import {
  formToken,
  verifyFormToken,
  verifyLink,
  type LinkFailureReason,
  type LinkFields,
  type SigningKeySource,
} from '../../shared/approvals/links/signing';
import type { ApprovalStore } from '../../shared/approvals/ports';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type { DeploymentRecordStore } from '../../shared/domain/deployment-record';
import type { ExecutionControl } from '../../shared/domain/ports';
import { lambdaStep, logger, metrics } from '../../shared/middleware/lambda-step';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';

export interface ApprovalPageDeps {
  store: ApprovalStore;
  executions: ExecutionControl;
  records: DeploymentRecordStore;
  clock: Clock;
  keys: SigningKeySource;
  /**
   * The public origin the links point at (`https://approvals.example.com`). When set, a POST whose `Origin`
   * header names another origin is refused; without it only `Sec-Fetch-Site: cross-site` is.
   */
  baseUrl?: string;
  /** Told what each request became (the Lambda wiring counts them as metrics). */
  onOutcome?: (outcome: PageOutcome) => void;
}

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What a request became: the page kind, or the decision outcome. For metrics and the log. */
export type PageOutcome =
  'confirm' | DecisionResult['outcome'] | Exclude<ApprovalPage['kind'], 'confirm' | 'outcome'>;

/** Form bodies larger than this (decoded) are refused before parsing. */
export const MAX_FORM_BYTES = 8 * 1024;
/** Longer query strings are refused: a signed link's is under 500 characters. */
export const MAX_QUERY_CHARS = 4096;
const MAX_USER_AGENT_CHARS = 512;
const MAX_FORM_FIELDS = 10;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

const ALLOWED_METHODS = 'GET, HEAD, POST';

const STATUS: Record<PageOutcome, number> = {
  confirm: 200,
  approved: 200,
  recorded: 200,
  rejected: 200,
  'already-decided': 409,
  expired: 410,
  'not-allowed': 403,
  'not-found': 404,
  superseded: 410,
  'execution-not-waiting': 409,
  'invalid-link': 400,
  'expired-link': 410,
  'method-not-allowed': 405,
  'too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
  'internal-error': 500,
};

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
 * The approval pages behind the links in approval emails (API Gateway HTTP API, payload v2):
 *
 * - GET and HEAD verify the link and show what ships with one button, or why there is none. They change
 *   nothing, not even the audit trail: mail scanners and link previews open every link.
 * - POST (the button) verifies the link again, the form token the page embedded and the request's origin,
 *   then calls `decideApproval` with the approver from the signed link, and shows what came of it.
 *
 * Never throws: a client mistake is a 4xx page, an AWS failure a 503 page ("try again"). Neither the task
 * token (not in an ApprovalView) nor the link's signature appears in a page or a log line.
 */
export function createApprovalPage(deps: ApprovalPageDeps) {
  const expectedOrigin = originOf(deps.baseUrl);

  const available = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw new Unavailable(error);
    }
  };

  /**
   * A decision attempt that failed verification goes to the approval's audit trail (the store ignores
   * ids it does not know, so guessed ids write nothing). The claimed approver is bounded, never trusted.
   */
  const auditInvalid = async (
    approvalId: string | undefined,
    approverClaimed: string | undefined,
    audit: { sourceIp?: string; userAgent?: string },
  ) => {
    if (!approvalId || !/^[A-Za-z0-9_-]{1,64}$/.test(approvalId)) return;
    await available(() =>
      deps.store.recordRefusal(approvalId, {
        reason: 'invalid-link',
        ...(approverClaimed && { approverClaimed: approverClaimed.slice(0, 320) }),
        at: deps.clock.now(),
        ...audit,
      }),
    );
  };

  const serve = async (
    event: APIGatewayProxyEventV2,
  ): Promise<{ page: ApprovalPage; outcome: PageOutcome }> => {
    const method = event?.requestContext?.http?.method;
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return problem('method-not-allowed');

    const query = typeof event.rawQueryString === 'string' ? event.rawQueryString : '';
    const params = query.length <= MAX_QUERY_CHARS ? singleValued(new URLSearchParams(query)) : undefined;
    const approvalId = approvalIdOf(event);
    const audit = auditContext(event);

    if (method === 'POST') {
      // Cheap refusals first: nothing is read before the request has the shape of a form post.
      if (!isFormPost(event.headers)) return problem('unsupported-media-type');
      const body = formBody(event);
      if (body === 'too-large') return problem('too-large');
      if (!params || body === undefined) return refused('malformed-form', approvalId, audit);
      if (isCrossSite(event.headers, expectedOrigin)) {
        await auditInvalid(approvalId, params.approver, audit);
        return refused('cross-site', approvalId, audit);
      }

      const now = deps.clock.now();
      const verified = await available(() => verifyLink({ approvalId, ...params }, deps.keys, now));
      if (!verified.ok) {
        if (verified.reason === 'expired' && verified.link) {
          // The link was genuine: the attempt goes to the approval's audit trail (decideApproval never saw it).
          const link = verified.link;
          await available(() =>
            deps.store.recordRefusal(link.approvalId, {
              reason: 'expired',
              approverClaimed: link.approver,
              at: now,
              ...audit,
            }),
          );
        } else await auditInvalid(approvalId, params.approver, audit);
        return refused(verified.reason, verified.approvalId, audit, verified.link);
      }
      const link = verified.link;
      if (!(await available(() => verifyFormToken(link, body.formToken, deps.keys)))) {
        await auditInvalid(link.approvalId, link.approver, audit);
        return refused('bad-form-token', link.approvalId, audit, link);
      }

      const result = await available(() =>
        decideApproval(
          {
            approvalId: link.approvalId,
            approver: link.approver,
            decision: link.action,
            ...(body.comment !== undefined && { comment: body.comment }),
            ...audit,
          },
          { store: deps.store, executions: deps.executions, records: deps.records, clock: deps.clock },
        ),
      );
      logger.info('approval decision attempted', {
        approvalId: link.approvalId,
        approver: link.approver,
        action: link.action,
        outcome: result.outcome,
        sourceIp: audit.sourceIp,
      });
      return { page: { kind: 'outcome', result, action: link.action }, outcome: result.outcome };
    }

    // GET and HEAD: read only.
    if (!params) return refused('malformed', approvalId, audit);
    const now = deps.clock.now();
    const verified = await available(() => verifyLink({ approvalId, ...params }, deps.keys, now));
    if (!verified.ok) return refused(verified.reason, verified.approvalId, audit, verified.link, false);
    const link = verified.link;
    const record = await available(() => deps.store.get(link.approvalId));
    if (!record) return outcomePage({ outcome: 'not-found', approvalId: link.approvalId }, link);
    const { taskToken: _secret, ...approval } = record;
    const preview = previewDecision(approval, link.approver, link.action, now);
    if (preview.outcome !== 'form') return outcomePage(preview, link);
    const token = formToken(link, await available(() => deps.keys.get()));
    return { page: { kind: 'confirm', approval, link, formToken: token, now }, outcome: 'confirm' };
  };

  return async (event: APIGatewayProxyEventV2): Promise<PageResponse> => {
    let answer: { page: ApprovalPage; outcome: PageOutcome };
    try {
      answer = await serve(event);
    } catch (error) {
      const unavailable = error instanceof Unavailable;
      const cause = unavailable ? error.failure : error;
      // AWS failures are expected now and then; anything else is a bug. Neither exposes detail to the client.
      logger.error(unavailable ? 'approval page dependency failed' : 'approval page failed', {
        errorName: cause instanceof Error ? cause.name : typeof cause,
        errorMessage: cause instanceof Error ? cause.message : 'non-error thrown',
      });
      answer = unavailable ? problem('unavailable') : problem('internal-error');
    }
    deps.onOutcome?.(answer.outcome);
    const statusCode = STATUS[answer.outcome];
    const method = event?.requestContext?.http?.method;
    const headers = {
      ...SECURITY_HEADERS,
      ...(answer.outcome === 'method-not-allowed' && { allow: ALLOWED_METHODS }),
      ...(answer.outcome === 'unavailable' && { 'retry-after': '30' }),
    };
    return { statusCode, headers, body: method === 'HEAD' ? '' : renderPage(answer.page) };
  };
}

function problem(kind: Exclude<ApprovalPage['kind'], 'confirm' | 'outcome'>): {
  page: ApprovalPage;
  outcome: PageOutcome;
} {
  return { page: { kind } as ApprovalPage, outcome: kind };
}

function outcomePage(
  result: Extract<ApprovalPage, { kind: 'outcome' }>['result'],
  link: LinkFields,
): { page: ApprovalPage; outcome: PageOutcome } {
  return { page: { kind: 'outcome', result, action: link.action }, outcome: result.outcome };
}

/**
 * A link or form that did not verify: the page says "invalid link" or "expired link" and no more; the log
 * keeps the reason. Only verified fields are logged (an unverified approver is whatever someone typed).
 */
function refused(
  because: RefusedBecause,
  approvalId: string | undefined,
  audit: { sourceIp?: string; userAgent?: string },
  link?: LinkFields,
  decisionAttempt = true,
): { page: ApprovalPage; outcome: PageOutcome } {
  logger.warn(decisionAttempt ? 'approval decision refused' : 'approval link refused', {
    reason: because,
    ...(approvalId !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(approvalId) && { approvalId }),
    ...(link && { approver: link.approver, action: link.action }),
    sourceIp: audit.sourceIp,
  });
  return problem(because === 'expired' ? 'expired-link' : 'invalid-link');
}

/** The approval id from the route (`/approvals/{approvalId}`), or from the raw path (local server). */
function approvalIdOf(event: APIGatewayProxyEventV2): string | undefined {
  const fromRoute = event.pathParameters?.approvalId;
  if (typeof fromRoute === 'string') return fromRoute;
  const match = /^\/approvals\/([^/]+)$/.exec(typeof event.rawPath === 'string' ? event.rawPath : '');
  return match?.[1];
}

/** The link's parameters; undefined when one of them appears more than once (ambiguous on purpose). */
function singleValued(
  search: URLSearchParams,
): Record<'approver' | 'action' | 'expires' | 'sig', string | undefined> | undefined {
  const names = ['approver', 'action', 'expires', 'sig'] as const;
  const out: Record<string, string | undefined> = {};
  for (const name of names) {
    const all = search.getAll(name);
    if (all.length > 1) return undefined;
    out[name] = all[0];
  }
  return out as Record<(typeof names)[number], string | undefined>;
}

function header(headers: APIGatewayProxyEventV2['headers'] | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers))
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  return undefined;
}

function isFormPost(headers: APIGatewayProxyEventV2['headers'] | undefined): boolean {
  const type = header(headers, 'content-type');
  return type !== undefined && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type.trim());
}

/**
 * Browsers mark a request from another site `Sec-Fetch-Site: cross-site`, and name the page's origin in
 * `Origin` (`null` when the referrer policy hides it, as ours does, so `null` is not refused).
 */
function isCrossSite(
  headers: APIGatewayProxyEventV2['headers'] | undefined,
  expected: string | undefined,
): boolean {
  if (header(headers, 'sec-fetch-site')?.toLowerCase() === 'cross-site') return true;
  const origin = header(headers, 'origin');
  return expected !== undefined && origin !== undefined && origin !== 'null' && origin !== expected;
}

/** The decoded form: its token and comment; undefined when malformed, 'too-large' past {@link MAX_FORM_BYTES}. */
function formBody(
  event: APIGatewayProxyEventV2,
): { formToken: string | undefined; comment: string | undefined } | 'too-large' | undefined {
  const raw = typeof event.body === 'string' ? event.body : '';
  if (raw.length > MAX_FORM_BYTES * 2) return 'too-large';
  const text = event.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_FORM_BYTES) return 'too-large';
  const form = new URLSearchParams(text);
  if ([...form.keys()].length > MAX_FORM_FIELDS) return undefined;
  const tokens = form.getAll('formToken');
  const comments = form.getAll('comment');
  if (tokens.length > 1 || comments.length > 1) return undefined;
  return { formToken: tokens[0], comment: comments[0] };
}

function auditContext(event: APIGatewayProxyEventV2): { sourceIp?: string; userAgent?: string } {
  const sourceIp = event.requestContext?.http?.sourceIp;
  const userAgent = header(event.headers, 'user-agent');
  return {
    ...(typeof sourceIp === 'string' && sourceIp !== '' && { sourceIp: sourceIp.slice(0, 64) }),
    ...(userAgent !== undefined &&
      userAgent !== '' && { userAgent: userAgent.slice(0, MAX_USER_AGENT_CHARS) }),
  };
}

function originOf(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined) return undefined;
  try {
    return new URL(baseUrl).origin;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------- wiring

/** The function's variables: the signing keys' secret and the public base URL, validated at cold start. */
export function approvalPageEnvironment(env?: NodeJS.ProcessEnv) {
  const keys = ['APPROVAL_LINK_KEY_SECRET_NAME', 'APPROVAL_BASE_URL'] as const;
  return env ? readRuntimeEnv(keys, env) : readRuntimeEnv(keys);
}

export const handler = lambdaStep('approval-page', () => {
  const env = approvalPageEnvironment();
  return createApprovalPage({
    store: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    executions: new StepFunctionsExecutionControl(),
    records: new DynamoDeploymentRecords({ table: lambdaPipelineTable() }),
    clock: systemClock,
    keys: new SecretSigningKeySource(new SecretsManagerSecretSource(), env.APPROVAL_LINK_KEY_SECRET_NAME),
    ...(env.APPROVAL_BASE_URL && { baseUrl: env.APPROVAL_BASE_URL }),
    onOutcome: (outcome) => metrics.addMetric(`approval-page.${outcome}`, 'Count', 1),
  });
});
