import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApprovalPage, type PageResponse } from '../../../../functions/approval-page/handler';
import type { ApprovalRequest } from '../../../../shared/approvals/approval';
import {
  formToken,
  linkExpiry,
  linkSignature,
  StaticSigningKeySource,
  type LinkFields,
} from '../../../../shared/approvals/links/signing';
import { requestApproval } from '../../../../shared/approvals/request-approval';
import { ManualClock } from '../../../../shared/clock';
import { InMemoryDeploymentRecords, RecordingExecutionControl } from '../../../support/fakes';
import { approvalRequest, sequentialIds } from '../approval-fixtures';
import { InMemoryApprovalStore, RecordingNotifier } from '../in-memory-approval-store';

export const KEY = Buffer.from('k'.repeat(16) + '0123456789abcdef0123456789abcdef', 'utf8');
export const OLD_KEY = Buffer.from('o'.repeat(48), 'utf8');
export const OTHER_KEY = Buffer.from('x'.repeat(48), 'utf8');
export const BASE_URL = 'https://approvals.example.com';
export const START = Date.UTC(2026, 2, 2, 9, 0);
export const HOUR = 3600_000;
export const SOURCE_IP = '203.0.113.7';
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';

export interface RequestOptions {
  method?: string;
  approvalId?: string;
  /** Raw query string, without `?`. */
  query?: string;
  body?: string;
  base64?: boolean;
  headers?: Record<string, string | undefined>;
}

/** An API Gateway HTTP API (payload v2) request for `/approvals/{approvalId}`. */
export function pageEvent(options: RequestOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const approvalId = options.approvalId ?? 'approval-1';
  const body = options.body;
  return {
    version: '2.0',
    routeKey: `${method} /approvals/{approvalId}`,
    rawPath: `/approvals/${approvalId}`,
    rawQueryString: options.query ?? '',
    headers: {
      'user-agent': USER_AGENT,
      ...(method === 'POST' && { 'content-type': 'application/x-www-form-urlencoded' }),
      ...options.headers,
    },
    pathParameters: { approvalId },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'approvals.example.com',
      domainPrefix: 'approvals',
      http: {
        method,
        path: `/approvals/${approvalId}`,
        protocol: 'HTTP/1.1',
        sourceIp: SOURCE_IP,
        userAgent: USER_AGENT,
      },
      requestId: 'QhVv1gNmDoEEJxA=',
      routeKey: `${method} /approvals/{approvalId}`,
      stage: '$default',
      time: '02/Mar/2026:10:00:00 +0000',
      timeEpoch: START,
    },
    ...(body !== undefined && {
      body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    }),
    isBase64Encoded: options.base64 === true,
  } as APIGatewayProxyEventV2;
}

/** The query string of a link signed with `key` (or with a given signature). */
export function linkQuery(fields: LinkFields, key: Buffer = KEY, sig?: string): string {
  return new URLSearchParams({
    approver: fields.approver,
    action: fields.action,
    expires: String(fields.expires),
    sig: sig ?? linkSignature(fields, key),
  }).toString();
}

export function formBody(fields: LinkFields, key: Buffer = KEY, comment?: string): string {
  return new URLSearchParams({
    formToken: formToken(fields, key),
    ...(comment !== undefined && { comment }),
  }).toString();
}

/** A GET of the link. */
export function getLink(fields: LinkFields, key: Buffer = KEY): APIGatewayProxyEventV2 {
  return pageEvent({ approvalId: fields.approvalId, query: linkQuery(fields, key) });
}

/** The POST the confirmation page's button sends. */
export function postLink(
  fields: LinkFields,
  options: { key?: Buffer; comment?: string } = {},
): APIGatewayProxyEventV2 {
  return pageEvent({
    method: 'POST',
    approvalId: fields.approvalId,
    query: linkQuery(fields, options.key ?? KEY),
    body: formBody(fields, options.key ?? KEY, options.comment),
  });
}

/** The approval page over an in-memory store, recording Step Functions, a manual clock and static keys. */
export class PageWorld {
  readonly clock = new ManualClock(START);
  readonly store = new InMemoryApprovalStore();
  readonly executions = new RecordingExecutionControl();
  readonly records = new InMemoryDeploymentRecords();
  readonly keys: StaticSigningKeySource;
  readonly page: (event: APIGatewayProxyEventV2) => Promise<PageResponse>;
  private readonly newId = sequentialIds();

  constructor(options: { previousKey?: Buffer; executions?: RecordingExecutionControl } = {}) {
    this.keys = new StaticSigningKeySource(KEY, options.previousKey);
    if (options.executions) this.executions = options.executions;
    this.page = createApprovalPage({
      store: this.store,
      executions: this.executions,
      records: this.records,
      clock: this.clock,
      keys: this.keys,
      baseUrl: BASE_URL,
    });
  }

  /** Requests an approval (orders-api v1.4.0, production/eu-west-1, approvers alice, bob, carol). */
  async requested(overrides: Partial<ApprovalRequest> = {}): Promise<string> {
    const { approvalId } = await requestApproval(approvalRequest(overrides), {
      store: this.store,
      notifier: new RecordingNotifier(),
      clock: this.clock,
      newId: this.newId,
    });
    return approvalId;
  }

  /** Link fields for `approver` and `action`, expiring with the approval. */
  async linkFor(approvalId: string, approver: string, action: LinkFields['action']): Promise<LinkFields> {
    const record = await this.store.get(approvalId);
    if (!record) throw new Error(`no approval ${approvalId}`);
    return { approvalId, approver, action, expires: linkExpiry(record.expiresAt) };
  }
}
