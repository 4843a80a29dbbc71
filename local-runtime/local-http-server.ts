import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MAILBOX_PAGE_HEADERS,
  renderMailboxIndex,
  renderMailboxMessage,
  renderMailboxNotFound,
  type LocalMailbox,
} from './adapters/local-mailbox';
import { toHttpApiEvent, writeHttpApiResult, type HttpApiHandler } from './http/api-gateway-bridge';
import { forwardToDynamo, stepFunctionsApi, type AwsApiResult } from './http/aws-endpoints';
import { dashboardHeaders, newNonce, renderDashboard, type DashboardState } from './dashboard/dashboard-page';
import {
  clockJson,
  executionJson,
  listExecutionsJson,
  MAX_EVENTS_BODY_BYTES,
  metricsJson,
  postEvents,
  stateJson,
  type ApiResult,
  type LocalApiPipeline,
} from './local-api';
import { shiftsJson } from './local-api-shifts';

export interface LocalHttpRoutes {
  /** The approval page handler, the same one API Gateway invokes in AWS. */
  approvalPage: HttpApiHandler;
  /** The GitHub webhook handler, at its AWS path `/webhooks/github`. */
  githubWebhook?: HttpApiHandler;
  mailbox: LocalMailbox;
  /** The stack's one clock: requests are stamped with its time, as API Gateway stamps them with AWS's. */
  clock: { now(): number };
  /** Keeps virtual time still while a request is handled. */
  track: <T>(work: Promise<T>) => Promise<T>;
  /** The local stack's API and dashboard (`POST /events`, `/api/executions`, `/api/state`, `/`). */
  api?: LocalApiPipeline;
  /** AWS-compatible endpoints for the operator CLI's `--local` (`/aws/states`, `/aws/dynamodb`). */
  aws?: { engine: Parameters<typeof stepFunctionsApi>[0]; dynamoEndpoint: string };
}

/**
 * The pipeline's HTTP side on 127.0.0.1 only: the approval pages at the same paths as in AWS, the local
 * mailbox where approval emails land (`/mail`, `/mail/{id}`, `/api/mail`), so a person or a browser test
 * can open an email and click through, and the local stack's event intake, JSON API and dashboard
 * (docs/local-stack.md).
 */
export class LocalHttpServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(routes: LocalHttpRoutes, port = 0): Promise<LocalHttpServer> {
    const server = createServer((request, response) => {
      void routes.track(handle(routes, request, response)).catch(() => {
        if (!response.headersSent) response.statusCode = 503;
        response.end('local server error');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    return new LocalHttpServer(server, `http://127.0.0.1:${address.port}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a local pipeline offers to be served over HTTP (a LocalPipeline is one). */
export interface ServableLocalPipeline {
  httpRoutes(): LocalHttpRoutes;
  /** Told where it is served: approval emails link there. */
  servedAt(url: string): void;
}

/**
 * Serves a local pipeline's HTTP side on 127.0.0.1 (port 0: any free port): approval pages, mailbox,
 * events, API, dashboard and the AWS endpoints. Approval emails sent after this carry links to it. The
 * caller owns the server: close it along with the pipeline.
 */
export async function serveLocalPipeline(
  pipeline: ServableLocalPipeline,
  port = 0,
): Promise<LocalHttpServer> {
  const server = await LocalHttpServer.start(pipeline.httpRoutes(), port);
  pipeline.servedAt(server.url);
  return server;
}

async function handle(
  routes: LocalHttpRoutes,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const approval = /^\/approvals\/([^/]+)$/.exec(path);
  if (approval) {
    const event = await toHttpApiEvent(request, routes.clock.now(), {
      routeKey: `${request.method ?? 'GET'} /approvals/{approvalId}`,
      pathParameters: { approvalId: decodeURIComponent(approval[1]!) },
    });
    if ('tooLarge' in event)
      return send(response, 413, 'text/plain; charset=utf-8', tooLargeMessage(event.bytes, event.limit));
    return writeHttpApiResult(response, await routes.approvalPage(event));
  }
  if (path === '/webhooks/github' && routes.githubWebhook) {
    const event = await toHttpApiEvent(request, routes.clock.now(), {
      routeKey: `${request.method ?? 'POST'} /webhooks/github`,
    });
    if ('tooLarge' in event)
      return send(
        response,
        413,
        'application/json',
        JSON.stringify({ message: tooLargeMessage(event.bytes, event.limit) }),
      );
    return writeHttpApiResult(response, await routes.githubWebhook(event));
  }
  if (routes.api && isApiPath(path)) return handleApi(routes.api, path, request, response);
  // SDK clients given an endpoint with a path post to it with a trailing slash.
  const awsPath = /^\/aws\/(states|dynamodb)\/?$/.exec(path)?.[1];
  if (routes.aws && awsPath) return handleAws(routes.aws, awsPath, request, response);
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return send(response, 405, 'text/plain; charset=utf-8', 'GET only');
  if (path === '/api/mail')
    return send(response, 200, 'application/json', JSON.stringify(routes.mailbox.toJson()));
  if (path === '/mail' || path === '/mail/')
    return page(response, 200, renderMailboxIndex(routes.mailbox.list()));
  const mail = /^\/mail\/([^/]+)$/.exec(path);
  if (mail) {
    const id = decodeURIComponent(mail[1]!);
    const message = routes.mailbox.get(id);
    return message
      ? page(response, 200, renderMailboxMessage(message))
      : page(response, 404, renderMailboxNotFound(id));
  }
  send(response, 404, 'text/plain; charset=utf-8', 'not found: try /mail');
}

function isApiPath(path: string): boolean {
  return (
    path === '/' ||
    path === '/events' ||
    path === '/api/state' ||
    path === '/api/clock' ||
    path === GITHUB_SECRET_PATH ||
    path === '/api/notifications' ||
    path === '/api/metrics' ||
    path === '/api/shifts' ||
    path.startsWith('/api/executions')
  );
}

/**
 * Where the local GitHub webhook secret is read (the startup banner says how, and never prints it: terminals
 * are shared, recorded and scrolled back).
 */
export const GITHUB_SECRET_PATH = '/api/github-webhook-secret';

/** Names a browser may reach this server by; anything else is a DNS rebinding attempt. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Answers 421 to a request that names another host (DNS rebinding); true when it did. */
function refusedForeignHost(request: IncomingMessage, response: ServerResponse): boolean {
  const host = (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (LOCAL_HOSTS.has(host)) return false;
  json(response, { status: 421, body: { error: `unexpected Host "${host}": use 127.0.0.1` } });
  return true;
}

async function handleApi(
  api: LocalApiPipeline,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (refusedForeignHost(request, response)) return;
  if (path === '/events') {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      return json(response, { status: 405, body: { error: 'POST an EventBridge event to /events' } });
    }
    // A web page may not post events: browsers send Origin, curl and scripts do not.
    const origin = request.headers.origin;
    if (origin !== undefined && !LOCAL_HOSTS.has(originHost(origin)))
      return json(response, { status: 403, body: { error: `cross-origin request from ${origin} refused` } });
    const { body, bytes } = await readBody(request, MAX_EVENTS_BODY_BYTES + 1);
    if (bytes > MAX_EVENTS_BODY_BYTES)
      return json(response, {
        status: 413,
        body: { error: tooLargeMessage(bytes, MAX_EVENTS_BODY_BYTES, 'EventBridge takes at most') },
      });
    return json(response, await postEvents(api, request.headers['content-type'], body));
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return json(response, { status: 405, body: { error: 'GET only' } });
  }
  if (path === '/') {
    const nonce = newNonce();
    const state = (await stateJson(api)).body as DashboardState;
    for (const [name, value] of Object.entries(dashboardHeaders(nonce))) response.setHeader(name, value);
    return send(response, 200, 'text/html; charset=utf-8', renderDashboard(nonce, state));
  }
  if (path === '/api/state') return json(response, await stateJson(api));
  if (path === '/api/clock') return json(response, clockJson(api));
  if (path === GITHUB_SECRET_PATH && api.githubWebhookSecret !== undefined) {
    // For curl and scripts on this machine only: a browser (which sends Origin or Sec-Fetch-Site) never
    // gets it, so no web page can read it even through a DNS rebinding that passed the Host check.
    if (request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined)
      return json(response, { status: 403, body: { error: 'the webhook secret is not given to browsers' } });
    response.setHeader('cache-control', 'no-store');
    return send(response, 200, 'text/plain; charset=utf-8', `${api.githubWebhookSecret}\n`);
  }
  if (path === '/api/notifications' && api.notifications)
    return json(response, { status: 200, body: api.notifications.toJson() });
  if (path === '/api/metrics') return json(response, await metricsJson(api, queryOf(request)));
  if (path === '/api/shifts') return json(response, await shiftsJson(api, queryOf(request)));
  if (path === '/api/executions' || path === '/api/executions/')
    return json(response, await listExecutionsJson(api));
  const one = /^\/api\/executions\/([^/]+)$/.exec(path);
  if (one) {
    let name: string;
    try {
      name = decodeURIComponent(one[1]!);
    } catch {
      return json(response, { status: 400, body: { error: 'bad execution name in the path' } });
    }
    return json(response, await executionJson(api, name));
  }
  return json(response, { status: 404, body: { error: `not found: ${path}` } });
}

/** The AWS-compatible endpoints: SDK clients only (no browser sends these without an Origin header). */
async function handleAws(
  aws: NonNullable<LocalHttpRoutes['aws']>,
  service: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (refusedForeignHost(request, response)) return;
  if (request.headers.origin !== undefined)
    return json(response, { status: 403, body: { error: 'the AWS endpoints take no browser requests' } });
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return json(response, { status: 405, body: { error: 'POST an AWS API call (SDK clients only)' } });
  }
  const { body } = await readBody(request, MAX_AWS_BODY_BYTES);
  const target = request.headers['x-amz-target'];
  const result: AwsApiResult =
    service === 'states'
      ? await stepFunctionsApi(aws.engine, Array.isArray(target) ? target[0] : target, body.toString('utf8'))
      : await forwardToDynamo(aws.dynamoEndpoint, request, body);
  for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
  response.statusCode = result.status;
  response.end(result.body);
}

/** Step Functions and DynamoDB requests are small; 1 MiB is far above any the CLI sends. */
const MAX_AWS_BODY_BYTES = 1024 * 1024;

function queryOf(request: IncomingMessage): URLSearchParams {
  return new URL(request.url ?? '/', 'http://127.0.0.1').searchParams;
}

function originHost(origin: string): string {
  try {
    return new URL(origin).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * The body, keeping at most `limit` bytes (the rest is read and dropped, so the client sees the answer),
 * and its real size.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; bytes: number }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    if (kept >= limit) continue;
    chunks.push(buffer.subarray(0, limit - kept));
    kept += Math.min(buffer.length, limit - kept);
  }
  return { body: Buffer.concat(chunks), bytes };
}

/** `request body is 300000 bytes; EventBridge takes at most 262144 (256 KiB)`: the real size, and the bound. */
export function tooLargeMessage(bytes: number, limit: number, bound = 'the limit is'): string {
  return `request body is ${bytes} bytes; ${bound} ${limit} (${limit / 1024} KiB)`;
}

function json(response: ServerResponse, result: ApiResult): void {
  response.setHeader('cache-control', 'no-store');
  send(response, result.status, 'application/json; charset=utf-8', JSON.stringify(result.body));
}

function page(response: ServerResponse, status: number, html: string): void {
  for (const [name, value] of Object.entries(MAILBOX_PAGE_HEADERS)) response.setHeader(name, value);
  send(response, status, 'text/html; charset=utf-8', html);
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.statusCode = status;
  response.setHeader('content-type', type);
  response.setHeader('x-content-type-options', 'nosniff');
  response.end(body);
}
