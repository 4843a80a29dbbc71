import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchProbe } from '../../shared/http-probe';
import { SmokeTestFailedError } from '../../shared/domain/errors';
import { runSmokeChecks } from '../../shared/use-cases/run-smoke-checks';
import { rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

/**
 * The smoke probe (shared/http-probe.ts) against real loopback servers: answers, a server that never
 * answers (the timeout path), a closed port (the connection-error path), bodies that are too big or stall.
 */
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fetchProbe', () => {
  it('when the endpoint answers, it returns the status, the body and the latency, sending HEAD as HEAD', async () => {
    // Prepare
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['user-agent']}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"commit":"abc"}');
    });

    // Act
    const got = await fetchProbe.request({ url: `${url}/health`, method: 'GET', timeoutMs: 5000 });
    const head = await fetchProbe.request({ url: `${url}/health`, method: 'HEAD', timeoutMs: 5000 });

    // Assess
    expect(got).toEqual({ status: 200, body: '{"commit":"abc"}', latencyMs: expect.any(Number) });
    expect(got.latencyMs).toBeGreaterThanOrEqual(0);
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(seen).toEqual([
      'GET /health ecs-promotion-pipeline-smoke',
      'HEAD /health ecs-promotion-pipeline-smoke',
    ]);
  });

  it('when the endpoint redirects, it reports the redirect instead of following it', async () => {
    const url = await serve((_req, res) => res.writeHead(302, { location: 'https://example.com/' }).end());
    expect(await fetchProbe.request({ url, method: 'GET', timeoutMs: 5000 })).toMatchObject({ status: 302 });
  });

  it('when the endpoint accepts the connection and never answers, it fails with the timeout', async () => {
    // Prepare
    const url = await serve(() => undefined);

    // Act
    const error = await rejectionOf(fetchProbe.request({ url, method: 'GET', timeoutMs: 150 }));

    // Assess
    expect(error.message).toBe('no response within 150 ms');
  });

  it('when nothing listens on the port, it fails with the connection error code', async () => {
    // Prepare: a port that was just free
    const url = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;

    // Act
    const error = await rejectionOf(fetchProbe.request({ url, method: 'GET', timeoutMs: 5000 }));

    // Assess
    expect(error.message).toBe('ECONNREFUSED');
  });

  it('when the body is larger than 64 KiB, it keeps the first 64 KiB', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end('x'.repeat(200 * 1024)));
    const got = await fetchProbe.request({ url, method: 'GET', timeoutMs: 5000 });
    expect(got.body).toBe('x'.repeat(64 * 1024));
  });

  it('when the headers arrive but the body stalls past the timeout, it returns the status with no body', async () => {
    // Prepare
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
    });

    // Act
    const got = await fetchProbe.request({ url, method: 'GET', timeoutMs: 150 });

    // Assess
    expect(got).toMatchObject({ status: 200, body: '' });
  });

  it.each<[string, (req: IncomingMessage, res: ServerResponse) => void, boolean, string]>([
    ['never answers', () => undefined, false, 'request failed: no response within 150 ms'],
    ['is not listening', () => undefined, true, 'request failed: ECONNREFUSED'],
  ])(
    'when a smoke check’s endpoint %s, the stage’s smoke test fails naming the check, URL and problem',
    async (_what, handler, closed, problem) => {
      // Prepare
      const endpoint = await serve(handler);
      if (closed) {
        await new Promise<void>((resolve) => server!.close(() => resolve()));
        server = undefined;
      }
      const run = ppeStageRun();
      const check = { ...run.stage.smoke[0]!, timeoutMs: 150 };
      const stage = { ...run.stage, endpoint, smoke: [check] };

      // Act
      const error = await rejectionOf(runSmokeChecks({ ...run, stage }, { probe: fetchProbe }));

      // Assess
      expect(error).toBeInstanceOf(SmokeTestFailedError);
      expect(error.message).toBe(
        `1 of 1 smoke checks failed in ppe/eu-west-1: ${check.name} (${endpoint}${check.path}): ${problem}`,
      );
    },
  );
});
