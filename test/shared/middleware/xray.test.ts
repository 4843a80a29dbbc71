import { createSocket } from 'node:dgram';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import {
  daemonAddress,
  daemonSender,
  parseTraceHeader,
  StepTracer,
  type SubsegmentDocument,
} from '../../../shared/middleware/xray';

const HEADER = 'Root=1-6763a2f0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1';
const TRACE = parseTraceHeader(HEADER)!;

/** A loopback HTTP server answering every request with `status`. */
async function standIn(status: number): Promise<Server> {
  const server = createServer((request, response) => {
    request.resume();
    const body = '{"message":"no"}';
    response
      .writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One HTTP request, to its end (or its error). */
function call(url: string): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST' }, (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.end('{}');
  });
}

describe('parseTraceHeader', () => {
  it('when Lambda passes a trace header, it reads the root, the parent and whether X-Ray samples it', () => {
    expect(TRACE).toEqual({
      root: '1-6763a2f0-0123456789abcdef01234567',
      parent: '0123456789abcdef',
      sampled: true,
    });
    expect(parseTraceHeader(HEADER.replace('Sampled=1', 'Sampled=0'))?.sampled).toBe(false);
    expect(parseTraceHeader('Root=1-6763a2f0-0123456789abcdef01234567')).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });
});

describe('daemonAddress', () => {
  it("when AWS_XRAY_DAEMON_ADDRESS is set in either of Lambda's forms, it takes the UDP address", () => {
    expect(daemonAddress(undefined)).toEqual({ host: '127.0.0.1', port: 2000 });
    expect(daemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonAddress('tcp:127.0.0.1:2001 udp:127.0.0.2:2002')).toEqual({ host: '127.0.0.2', port: 2002 });
  });

  it('when the address has another form, it fails naming the variable and the forms it takes', () => {
    expect(() => daemonAddress('localhost')).toThrow(
      /AWS_XRAY_DAEMON_ADDRESS is "localhost": expected host:port or "udp:host:port tcp:host:port"/,
    );
  });
});

describe('StepTracer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  it('when the handler makes HTTP requests, each is a remote subsegment of the handler, sent when it closes', async () => {
    // Prepare
    const sent: SubsegmentDocument[] = [];
    server = await standIn(429);
    const { port } = server.address() as AddressInfo;
    const tracer = new StepTracer('orders', (doc) => sent.push(doc));

    // Act
    const handler = tracer.begin(TRACE, '## handler.handler', true);
    handler.annotate('step', 'check-release');
    await call(`http://127.0.0.1:${port}/v1/items?token=secret`);
    tracer.end();

    // Assess
    const [request, handlerDoc] = sent;
    expect(sent).toHaveLength(2);
    expect(handlerDoc).toMatchObject({
      name: '## handler.handler',
      type: 'subsegment',
      trace_id: TRACE.root,
      parent_id: TRACE.parent,
      annotations: { ColdStart: true, Service: 'orders', step: 'check-release' },
    });
    expect(handlerDoc!.fault).toBeUndefined();
    expect(request).toMatchObject({
      name: '127.0.0.1',
      namespace: 'remote',
      trace_id: TRACE.root,
      parent_id: handlerDoc!.id,
      http: {
        request: { method: 'POST', url: `http://127.0.0.1:${port}/v1/items` },
        response: { status: 429, content_length: 16 },
      },
      error: true,
      throttle: true,
    });
    expect(request!.end_time).toBeGreaterThanOrEqual(request!.start_time);
  });

  it('when a request fails to connect, its subsegment is a fault with the error as a remote cause', async () => {
    // Prepare
    const sent: SubsegmentDocument[] = [];
    const tracer = new StepTracer('orders', (doc) => sent.push(doc));
    const port = await closedPort();

    // Act
    tracer.begin(TRACE, '## handler.handler', false);
    await call(`http://127.0.0.1:${port}/`);
    tracer.end(Object.assign(new Error('the call failed'), { name: 'AwsTransientError' }));

    // Assess
    expect(sent[0]).toMatchObject({
      fault: true,
      cause: {
        exceptions: [{ type: 'Error', remote: true, message: expect.stringContaining('ECONNREFUSED') }],
      },
    });
    expect(sent[1]).toMatchObject({
      annotations: { ColdStart: false },
      fault: true,
      cause: { exceptions: [{ type: 'AwsTransientError', message: 'the call failed' }] },
    });
  });

  it('when no invocation is traced, requests record nothing', async () => {
    // Prepare
    const sent: SubsegmentDocument[] = [];
    server = await standIn(200);
    const { port } = server.address() as AddressInfo;
    const tracer = new StepTracer('orders', (doc) => sent.push(doc));
    tracer.begin(TRACE, '## handler.handler', true);
    tracer.end();

    // Act
    await call(`http://127.0.0.1:${port}/`);
    tracer.end();

    // Assess: the handler only
    expect(sent.map((doc) => doc.name)).toEqual(['## handler.handler']);
  });

  it('when an annotation key has characters X-Ray refuses, it is left out', () => {
    const sent: SubsegmentDocument[] = [];
    const tracer = new StepTracer('orders', (doc) => sent.push(doc));
    tracer.begin(TRACE, '## h', true).annotate('not-valid', 'x');
    tracer.end();
    expect(Object.keys(sent[0]!.annotations ?? {})).toEqual(['ColdStart', 'Service']);
  });
});

describe('daemonSender', () => {
  it('when a subsegment is sent, the daemon receives it over UDP after the format line', async () => {
    // Prepare
    const daemon = createSocket('udp4');
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const packet = new Promise<string>((resolve) => daemon.once('message', (m) => resolve(m.toString())));
    const send = daemonSender(() => `127.0.0.1:${daemon.address().port}`);
    const tracer = new StepTracer('orders', send);

    // Act
    tracer.begin(TRACE, '## handler.handler', true);
    tracer.end();
    const [format, body] = (await packet).split('\n');
    daemon.close();

    // Assess
    expect(JSON.parse(format!)).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body!)).toMatchObject({ name: '## handler.handler', trace_id: TRACE.root });
  });

  it('when the address is malformed, it reports it once on stderr and sends nothing', () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const send = daemonSender(() => 'nowhere');
    const tracer = new StepTracer('orders', send);
    tracer.begin(TRACE, '## h', true);
    tracer.end();
    tracer.begin(TRACE, '## h', false);
    tracer.end();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toMatch(
      /X-Ray traces are not sent: AWS_XRAY_DAEMON_ADDRESS is "nowhere"/,
    );
    errors.mockRestore();
  });
});
