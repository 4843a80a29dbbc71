import { renderPage } from '../../shared/approvals/links/pages';
import type { PageAnswer, PageOutcome, PageRequest } from '../../shared/approvals/links/serve-approval-page';
import { readForm } from '../../shared/http/form';
import { isCrossSite } from '../../shared/http/origin';
import { clientOf, methodOf, singleValuedQuery, type HttpRequest } from '../../shared/http/request';
import type { HttpAnswer } from '../../shared/middleware/http-handler';

/*
 * The approval pages over HTTP: what a request asks for, and the status and headers of each answer.
 */

/** Form bodies larger than this (decoded) are refused before parsing. */
export const MAX_FORM_BYTES = 8 * 1024;
/** Longer query strings are refused: a signed link's is under 500 characters. */
export const MAX_QUERY_CHARS = 4096;

/**
 * Every approval page's headers: HTML that loads nothing but its inline style, posts only to itself, is
 * never framed, cached, indexed or sent a referrer.
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
};

/** The status of each outcome: decisions and the confirmation 200, client mistakes 4xx, AWS failures 503. */
export const PAGE_STATUS: Record<PageOutcome, number> = {
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

/** Reads what the request asks for; nothing here throws or trusts a field. */
export function pageRequest(event: HttpRequest, expectedOrigin: string | undefined): PageRequest {
  const method = methodOf(event);
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return { method: 'other' };
  const fromRoute: unknown = event.pathParameters?.approvalId;
  // The route's parameter; the local server has only the raw path.
  const approvalId =
    typeof fromRoute === 'string'
      ? fromRoute
      : /^\/approvals\/([^/]+)$/.exec(typeof event.rawPath === 'string' ? event.rawPath : '')?.[1];
  const query = singleValuedQuery(event, ['approver', 'action', 'expires', 'sig'], MAX_QUERY_CHARS);
  const request = { approvalId, query, client: clientOf(event) };
  if (method !== 'POST') return { method, ...request };
  const form = readForm(event, { fields: ['formToken', 'comment'], maxBytes: MAX_FORM_BYTES, maxFields: 10 });
  return { method, ...request, form, crossSite: isCrossSite(event, expectedOrigin) };
}

/** The page with its status and the headers its outcome adds. */
export function pageResponse({ page, outcome }: PageAnswer): HttpAnswer<PageOutcome> {
  const headers = {
    ...(outcome === 'method-not-allowed' && { allow: 'GET, HEAD, POST' }),
    ...(outcome === 'unavailable' && { 'retry-after': '30' }),
  };
  return { statusCode: PAGE_STATUS[outcome], headers, body: renderPage(page), outcome };
}
