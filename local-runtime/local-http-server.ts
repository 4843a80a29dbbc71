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

export interface LocalHttpRoutes {
  /** The approval page handler, the same one API Gateway invokes in AWS. */
  approvalPage: HttpApiHandler;
  mailbox: LocalMailbox;
  /** Keeps virtual time still while a request is handled. */
  track: <T>(work: Promise<T>) => Promise<T>;
}

/**
 * The pipeline's HTTP side on 127.0.0.1 only: the approval pages at the same paths as in AWS, and the
 * local mailbox where approval emails land (`/mail`, `/mail/{id}`, `/api/mail`), so a person or a browser
 * test can open an email and click through.
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

async function handle(
  routes: LocalHttpRoutes,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const approval = /^\/approvals\/([^/]+)$/.exec(path);
  if (approval) {
    const event = await toHttpApiEvent(request, {
      routeKey: `${request.method ?? 'GET'} /approvals/{approvalId}`,
      pathParameters: { approvalId: decodeURIComponent(approval[1]!) },
    });
    if ('tooLarge' in event)
      return send(response, 413, 'text/plain; charset=utf-8', 'request body too large');
    return writeHttpApiResult(response, await routes.approvalPage(event));
  }
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
