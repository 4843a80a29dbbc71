import { randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { readRuntimeEnv } from '../config/runtime-env';

/**
 * The X-Ray recording of a step, written for the one thing the step stack traces: in Lambda with active
 * tracing, a subsegment for the handler under the function's segment (Lambda opens and sends that one),
 * annotated as Powertools Tracer did (ColdStart, Service, the step and its correlation keys), and one
 * subsegment per HTTP request the invocation makes (every AWS call: namespace `remote`, the host as its
 * name, method, URL, status, errors), each sent to the X-Ray daemon over UDP when it closes, as the X-Ray
 * SDK does in Lambda. Powertools Tracer and the X-Ray SDK under it cost a sampled first invocation about
 * 35 ms (loading 100 KB, cls-hooked's async hooks, patching http); this, with `node:dgram` and the
 * channels, 2–4 ms in CPU profiles (docs/cold-start.md). HTTP requests are observed through Node's `http.client.*` diagnostics channels,
 * so nothing is patched.
 */

/** What Lambda's `_X_AMZN_TRACE_ID` says of the invocation's trace. */
export interface TraceHeader {
  root: string;
  parent: string;
  sampled: boolean;
}

/** `Root=1-…;Parent=…;Sampled=1` → its fields; undefined when the root or the parent is missing. */
export function parseTraceHeader(header: string | undefined): TraceHeader | undefined {
  if (!header) return undefined;
  const fields = new Map(
    header.split(';').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (!root || !parent) return undefined;
  return { root, parent, sampled: fields.get('Sampled') === '1' };
}

type AnnotationValue = string | number | boolean;

/** One X-Ray subsegment document, as the daemon takes it (type `subsegment`, with its trace and parent). */
export interface SubsegmentDocument {
  id: string;
  name: string;
  trace_id: string;
  parent_id: string;
  type: 'subsegment';
  start_time: number;
  end_time: number;
  namespace?: 'remote';
  annotations?: Record<string, AnnotationValue>;
  http?: {
    request: { method: string; url: string };
    response?: { status: number; content_length?: number };
  };
  error?: true;
  throttle?: true;
  fault?: true;
  cause?: {
    working_directory: string;
    exceptions: { id: string; message: string; type: string; remote?: true }[];
  };
}

/** X-Ray keeps annotations whose keys are letters, digits and underscores; others it refuses. */
const ANNOTATION_KEY = /^[A-Za-z0-9_]+$/;
/** Each part of the daemon's UDP packets starts with this line. */
const DAEMON_HEADER = '{"format":"json","version":1}\n';

const seconds = (): number => Date.now() / 1000;
const newId = (): string => randomBytes(8).toString('hex');

/** A subsegment being recorded; {@link close} ends it and hands its document to the sender. */
export class Subsegment {
  private readonly document: SubsegmentDocument;
  private closed = false;

  constructor(
    name: string,
    trace: { traceId: string; parentId: string },
    private readonly send: (document: SubsegmentDocument) => void,
    namespace?: 'remote',
  ) {
    this.document = {
      id: newId(),
      name,
      trace_id: trace.traceId,
      parent_id: trace.parentId,
      type: 'subsegment',
      start_time: seconds(),
      end_time: 0,
      ...(namespace && { namespace }),
    };
  }

  get id(): string {
    return this.document.id;
  }

  get traceId(): string {
    return this.document.trace_id;
  }

  /** An indexed annotation; a key X-Ray would refuse (not letters, digits, `_`) is left out. */
  annotate(key: string, value: AnnotationValue): void {
    if (!ANNOTATION_KEY.test(key)) return;
    (this.document.annotations ??= {})[key] = value;
  }

  request(method: string, url: string): void {
    this.document.http = { request: { method, url } };
  }

  /** The response's status: 429 is a throttle and an error, other 4xx errors, 5xx faults. */
  response(status: number, contentLength?: number): void {
    if (this.document.http)
      this.document.http.response = {
        status,
        ...(contentLength !== undefined && { content_length: contentLength }),
      };
    if (status === 429) this.document.throttle = true;
    if (status >= 400 && status < 500) this.document.error = true;
    if (status >= 500) this.document.fault = true;
  }

  /** Ends the subsegment (once) and sends it; an error makes it a fault with the error as its cause. */
  close(error?: unknown, remote = false): void {
    if (this.closed) return;
    this.closed = true;
    if (error !== undefined) {
      this.document.fault = true;
      // Not `instanceof Error`: errors from Node's own modules may come from another realm (jest's VM).
      const { name, message } =
        typeof error === 'object' && error !== null && 'message' in error
          ? { name: String((error as Error).name), message: String((error as Error).message) }
          : { name: typeof error, message: 'non-error thrown' };
      this.document.cause = {
        working_directory: process.cwd(),
        exceptions: [{ id: newId(), message, type: name, ...(remote && { remote: true as const }) }],
      };
    }
    this.document.end_time = seconds();
    this.send(this.document);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * Sends documents to the X-Ray daemon over UDP: `AWS_XRAY_DAEMON_ADDRESS` (Lambda sets it; `host:port`, or
 * `udp:host:port tcp:host:port`), 127.0.0.1:2000 otherwise. The address is read and the socket created on
 * the first document; the socket does not keep the process alive. A send that fails is dropped, as the
 * X-Ray SDK drops it; an address of another form is reported once on stderr and nothing is sent, so a
 * tracing setting never fails a step.
 */
export function daemonSender(
  address: () => string | undefined = () =>
    readRuntimeEnv(['AWS_XRAY_DAEMON_ADDRESS']).AWS_XRAY_DAEMON_ADDRESS,
): (doc: SubsegmentDocument) => void {
  let daemon: { socket: import('node:dgram').Socket; host: string; port: number } | null | undefined;
  return (doc) => {
    if (daemon === undefined) {
      try {
        const { host, port } = daemonAddress(address());
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded by the first traced invocation only
        const dgram = require('node:dgram') as typeof import('node:dgram');
        const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        socket.on('error', () => undefined);
        socket.unref();
        daemon = { socket, host, port };
      } catch (error) {
        daemon = null;
        console.error(`X-Ray traces are not sent: ${(error as Error).message}`);
      }
    }
    daemon?.socket.send(DAEMON_HEADER + JSON.stringify(doc), daemon.port, daemon.host, () => undefined);
  };
}

/** The daemon's UDP address from `AWS_XRAY_DAEMON_ADDRESS`; a value of another form fails naming it. */
export function daemonAddress(value: string | undefined): { host: string; port: number } {
  if (!value) return { host: '127.0.0.1', port: 2000 };
  const parts = value.trim().split(/\s+/);
  const udp = parts.length > 1 ? parts.find((part) => part.startsWith('udp:'))?.slice(4) : parts[0];
  const match = udp?.match(/^\[?([^\]]+?)\]?:(\d{1,5})$/);
  if (!match)
    throw new Error(
      `AWS_XRAY_DAEMON_ADDRESS is "${value}": expected host:port or "udp:host:port tcp:host:port" (Lambda sets it)`,
    );
  return { host: match[1]!, port: Number(match[2]) };
}

/**
 * Records the handler of each sampled invocation and the HTTP requests made while it runs. One invocation
 * at a time, as in Lambda: a request belongs to the handler subsegment open when it starts.
 */
export class StepTracer {
  private handler: Subsegment | undefined;
  private readonly requests = new WeakMap<ClientRequest, Subsegment>();
  private readonly open = new Set<Subsegment>();
  private observing = false;

  constructor(
    readonly serviceName: string,
    private readonly send: (doc: SubsegmentDocument) => void = daemonSender(),
  ) {}

  /**
   * Opens the handler's subsegment under the function's segment (the header's parent), annotated with the
   * service and whether this is the container's first invocation (`coldStart`).
   */
  begin(header: TraceHeader, name: string, coldStart: boolean): Subsegment {
    this.observeHttp();
    const handler = new Subsegment(name, { traceId: header.root, parentId: header.parent }, (doc) =>
      this.send(doc),
    );
    handler.annotate('ColdStart', coldStart);
    handler.annotate('Service', this.serviceName);
    this.handler = handler;
    return handler;
  }

  /** Closes the handler's subsegment, and first any request still open in it (sent as they are). */
  end(error?: unknown): void {
    const handler = this.handler;
    this.handler = undefined;
    for (const request of this.open) request.close();
    this.open.clear();
    handler?.close(error);
  }

  /** The handler subsegment of the invocation under way, if it is traced. */
  get current(): Subsegment | undefined {
    return this.handler;
  }

  private observeHttp(): void {
    if (this.observing) return;
    this.observing = true;
    subscribe('http.client.request.start', (message) =>
      this.started((message as { request: ClientRequest }).request),
    );
    subscribe('http.client.response.finish', (message) => {
      const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
      this.responded(request, response);
    });
    subscribe('http.client.request.error', (message) => {
      const { request, error } = message as { request: ClientRequest; error: unknown };
      this.finished(request, error);
    });
  }

  private started(request: ClientRequest): void {
    const handler = this.handler;
    if (!handler) return;
    const subsegment = new Subsegment(
      request.host,
      { traceId: handler.traceId, parentId: handler.id },
      (doc) => this.send(doc),
      'remote',
    );
    // The URL without its query (it may carry a presigned or a secret value); the host with its port.
    const host = request.getHeader('host');
    const authority = typeof host === 'string' ? host : request.host;
    subsegment.request(request.method, `${request.protocol}//${authority}${request.path.split('?')[0]}`);
    this.requests.set(request, subsegment);
    this.open.add(subsegment);
  }

  private responded(request: ClientRequest, response: IncomingMessage): void {
    const subsegment = this.requests.get(request);
    if (!subsegment) return;
    const length = Number(response.headers['content-length']);
    subsegment.response(response.statusCode ?? 0, Number.isFinite(length) ? length : undefined);
    const done = () => this.finished(request);
    response.once('end', done);
    response.once('close', done);
  }

  private finished(request: ClientRequest, error?: unknown): void {
    const subsegment = this.requests.get(request);
    if (!subsegment) return;
    this.requests.delete(request);
    this.open.delete(subsegment);
    subsegment.close(error, true);
  }
}
