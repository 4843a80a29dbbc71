import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** Bodies above this are refused before a handler sees them, as API Gateway's 10 MB limit would, smaller. */
export const MAX_LOCAL_BODY_BYTES = 1024 * 1024;

export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Turns a Node HTTP request into the API Gateway HTTP API (payload v2) event the Lambda handlers receive,
 * so the local server runs the very handlers AWS runs, and writes their result back. `receivedAt` is the
 * stack's time (epoch ms), not the wall clock's.
 */
export async function toHttpApiEvent(
  request: IncomingMessage,
  receivedAt: number,
  route: { routeKey: string; pathParameters?: Record<string, string> },
): Promise<APIGatewayProxyEventV2 | { tooLarge: true; bytes: number; limit: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    // Past the limit the rest is read and counted, not kept: the answer says how big the body really was.
    if (size <= MAX_LOCAL_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  if (size > MAX_LOCAL_BODY_BYTES) return { tooLarge: true, bytes: size, limit: MAX_LOCAL_BODY_BYTES };
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  const body = Buffer.concat(chunks);
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    queryStringParameters[key] =
      key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 && { queryStringParameters }),
    ...(route.pathParameters && { pathParameters: route.pathParameters }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: new Date(receivedAt).toUTCString(),
      timeEpoch: receivedAt,
    },
    ...(body.length > 0 && { body: body.toString('base64'), isBase64Encoded: true }),
    ...(body.length === 0 && { isBase64Encoded: false }),
  } as APIGatewayProxyEventV2;
}

export function writeHttpApiResult(
  response: ServerResponse,
  result: APIGatewayProxyStructuredResultV2,
): void {
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  const body = result.body ?? '';
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}
