import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * Reading an API Gateway HTTP API request (payload v2) that may be anything: every accessor tolerates a
 * missing or mistyped part and answers `undefined` rather than throwing. Header names are looked up in
 * lower case: the HTTP stack (shared/middleware/http-handler.ts) normalises them before a route runs.
 */
export type HttpRequest = APIGatewayProxyEventV2;

/** The request method as sent (`GET`, `get`, `PUT`…), or undefined when the event has none. */
export function methodOf(request: HttpRequest): string | undefined {
  const method: unknown = request.requestContext?.http?.method;
  return typeof method === 'string' ? method : undefined;
}

/** A header's value by its lower-case name; undefined when absent or not a string. */
export function headerOf(request: HttpRequest, name: string): string | undefined {
  const headers: unknown = request.headers;
  if (!headers || typeof headers !== 'object' || !Object.hasOwn(headers, name)) return undefined;
  const value: unknown = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The raw query string, '' when the event has none. */
export function queryOf(request: HttpRequest): string {
  return typeof request.rawQueryString === 'string' ? request.rawQueryString : '';
}

/**
 * The named query parameters, each at most once. Undefined when the query is longer than `maxChars` or a
 * name appears more than once (ambiguous on purpose: which one would a signature cover?).
 */
export function singleValuedQuery<N extends string>(
  request: HttpRequest,
  names: readonly N[],
  maxChars: number,
): Record<N, string | undefined> | undefined {
  const query = queryOf(request);
  if (query.length > maxChars) return undefined;
  const search = new URLSearchParams(query);
  const out = {} as Record<N, string | undefined>;
  for (const name of names) {
    const all = search.getAll(name);
    if (all.length > 1) return undefined;
    out[name] = all[0];
  }
  return out;
}

/** Who asked, for an audit trail: source IP and user agent, each bounded, absent when empty. */
export interface ClientInfo {
  sourceIp?: string;
  userAgent?: string;
}

const MAX_SOURCE_IP_CHARS = 64;
const MAX_USER_AGENT_CHARS = 512;

export function clientOf(request: HttpRequest): ClientInfo {
  const sourceIp: unknown = request.requestContext?.http?.sourceIp;
  const userAgent = headerOf(request, 'user-agent');
  return {
    ...(typeof sourceIp === 'string' &&
      sourceIp !== '' && { sourceIp: sourceIp.slice(0, MAX_SOURCE_IP_CHARS) }),
    ...(userAgent !== undefined &&
      userAgent !== '' && { userAgent: userAgent.slice(0, MAX_USER_AGENT_CHARS) }),
  };
}
