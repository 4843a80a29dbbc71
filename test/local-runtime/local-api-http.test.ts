/** The local stack's API over HTTP on 127.0.0.1: status codes, headers and the guards a browser meets. */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { startLocalStack, type LocalStack } from '../../cli/local-command';
import { stageStoppedNotification } from '../../shared/notifications/notification';
import { readDeliveryMetrics } from '../../shared/operations/metrics';

const ROOT = join(__dirname, '..', '..');
const pushEvent = readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8');

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
    port: 0,
    timeScale: 1200,
    approvals: 'approve',
  });
});

afterAll(async () => {
  await stack?.close();
});

/** A raw request, so that Host and Origin can be what a test needs. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, stack.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: url.port, path: url.pathname + url.search, method, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the local stack over HTTP', () => {
  it('when a push is posted as JSON, it answers 200 with the started execution', async () => {
    // Act
    const res = await send('POST', '/events', { 'content-type': 'application/json' }, pushEvent);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({
      results: [
        {
          started: [
            'arn:aws:states:local:000000000000:execution:promote:push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
          ],
        },
      ],
    });
  });

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }, pushEvent, 415, 'content-type must be application/json'],
    ['bad JSON', { 'content-type': 'application/json' }, '{"id"', 400, 'not valid JSON'],
    [
      'a body over 256 KiB',
      { 'content-type': 'application/json' },
      Buffer.alloc(300 * 1024, 0x20),
      413,
      // The real size, not the bytes kept before the server stopped keeping them.
      'request body is 307200 bytes; EventBridge takes at most 262144 (256 KiB)',
    ],
    [
      'an Origin of another site',
      { 'content-type': 'application/json', origin: 'https://attacker.example' },
      pushEvent,
      403,
      'cross-origin request',
    ],
    [
      'a Host other than 127.0.0.1 (DNS rebinding)',
      { 'content-type': 'application/json', host: 'attacker.example:8787' },
      pushEvent,
      421,
      'unexpected Host',
    ],
  ])(
    'when POST /events gets %s, it refuses with a 4xx naming the problem',
    async (_, headers, body, status, message) => {
      // Act
      const res = await send('POST', '/events', headers as Record<string, string>, body);

      // Assess
      expect(res.status).toBe(status);
      expect(JSON.parse(res.body).error).toContain(message);
    },
  );

  it('when /events is read with GET, it answers 405 naming POST', async () => {
    // Act
    const res = await send('GET', '/events');

    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('when an unknown execution is asked for, it answers 404 JSON', async () => {
    // Act
    const res = await send('GET', '/api/executions/nothing-like-this');

    // Assess
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: 'no execution named "nothing-like-this"' });
  });

  it("when the dashboard is opened, only its own nonce'd script and style may run", async () => {
    // Act
    const res = await send('GET', '/');

    // Assess
    expect(res.status).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.body).toContain(`<script nonce="${nonce}">`);
    expect(res.body.match(/<script/g)).toHaveLength(1);
    expect(res.body).not.toMatch(/(src|href)="https?:/);
    expect(res.body).toContain('href="/mail"');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const again = await send('GET', '/');
    expect(again.headers['content-security-policy']).not.toBe(csp);
  });

  it('when the notifications are asked for, it answers them as JSON, newest first', async () => {
    // Prepare
    const stopped = (region: string) =>
      stageStoppedNotification({
        executionName: `release-orders-api-v1_4_0-${region}`,
        service: 'orders-api',
        version: 'v1.4.0',
        environment: 'prod',
        region,
        error: { name: 'AlarmBreached', message: 'AlarmBreached: orders-api-prod-5xx' },
        rolledBack: true,
      });
    await stack.pipeline.notifications.publish(stopped('eu-west-1'));
    await stack.pipeline.notifications.publish(stopped('us-east-1'));

    // Act
    const res = await send('GET', '/api/notifications');
    const rebinding = await send('GET', '/api/notifications', { host: 'attacker.example' });

    // Assess
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { notifications: Record<string, unknown>[] };
    expect(body.notifications.map((n) => n.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(body.notifications[0]).toEqual({
      ...stopped('us-east-1'),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    });
    expect(rebinding.status).toBe(421);
  });

  it('when the mailbox is opened, it is still served next to the API', async () => {
    // Act
    const res = await send('GET', '/mail');

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toContain('Local mailbox');
  });

  it('when the metrics of a service that deployed are asked for, it answers them as pipeline metrics --json does', async () => {
    // Prepare
    await send('POST', '/events', { 'content-type': 'application/json' }, pushEvent);
    await stack.pipeline.settled();

    // Act
    const res = await send('GET', '/api/metrics?service=orders-api&environment=ppe&since=2d');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.body) as {
      since: string;
      until: string;
      metrics: {
        service: string;
        environment: string;
        window: { from: number; to: number };
        deployments: { successful: number; byDay: { count: number }[] };
        leadTime: { samples: { version: string }[] };
        breakdown: { total: Record<string, number> };
      }[];
    };
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(2 * 86_400_000);
    expect(body.metrics.map((m) => `${m.service} ${m.environment}`)).toEqual(['orders-api ppe']);
    const [ppe] = body.metrics;
    expect(ppe!.deployments.successful).toBe(1);
    expect(ppe!.deployments.byDay.reduce((sum, d) => sum + d.count, 0)).toBe(1);
    expect(ppe!.leadTime.samples.map((s) => s.version)).toEqual([
      'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    ]);
    expect(Object.keys(ppe!.breakdown.total)).toEqual([
      'beforePipeline',
      'queued',
      'approval',
      'frozen',
      'deploying',
      'smoke',
      'bake',
      'other',
    ]);
    const direct = await readDeliveryMetrics(
      stack.pipeline.config,
      { service: 'orders-api', environment: 'ppe', window: { from: ppe!.window.from, to: ppe!.window.to } },
      stack.pipeline,
    );
    expect(body.metrics).toEqual(JSON.parse(JSON.stringify(direct)));
  });

  it('when the metrics are asked for without filters, every service and environment is answered', async () => {
    // Act
    const res = await send('GET', '/api/metrics');

    // Assess
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { since: string; until: string; metrics: unknown[] };
    expect(Date.parse(body.until) - Date.parse(body.since)).toBe(30 * 86_400_000);
    const config = stack.pipeline.config;
    expect(body.metrics).toHaveLength(config.services.length * config.environments.length);
  });

  it.each([
    [
      'since=yesterday',
      'since must be a duration like 30d, 12h or 2w, or a date like 2026-11-01, got "yesterday"',
    ],
    ['since=0d', 'since must be longer than nothing, got "0d"'],
    ['since=2026-02-30', 'since "2026-02-30" is not a calendar date'],
    ['service=nope', 'unknown service "nope": the configuration has orders-api, payments-api'],
    ['environment=qa', 'unknown environment "qa": the configuration has ppe, staging, prod'],
    ['window=30d', 'unknown query parameter "window": use service, environment, since'],
    ['since=1d&since=2d', 'give since once, got it 2 times'],
  ])(
    'when the metrics are asked for with %s, it answers 400 saying what is wrong',
    async (query, message) => {
      // Act
      const res = await send('GET', `/api/metrics?${query}`);

      // Assess
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(res.body)).toEqual({ error: message });
    },
  );
});
