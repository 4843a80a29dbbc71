/**
 * What a function's bundle runs (docs/cold-start.md): no Powertools Tracer and no X-Ray SDK; a step records
 * the invocations X-Ray samples with shared/middleware/xray.ts, which sends its subsegments to the daemon.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/build-functions';
import type { SubsegmentDocument } from '../../shared/middleware/xray';
import { ppeStageRun } from '../support/fixtures';

const TRACER_MODULES = /aws-xray-sdk-core|@aws-lambda-powertools[\\/]tracer|cls-hooked/;
const SAMPLED = 'Root=1-6763a2f0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1';

/** A loopback port nothing listens on: the bundle's AWS calls are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('function bundles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'function-bundles-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when a step function is bundled, its handler carries neither Powertools Tracer nor the X-Ray SDK, only the small recorder', async () => {
    // Act
    const handler = await build({
      ...bundleOptions('run-smoke-checks'),
      write: false,
      metafile: true,
      sourcemap: false,
    });

    // Assess
    const inputs = Object.keys(Object.values(handler.metafile.outputs)[0]!.inputs);
    expect(inputs.filter((path) => TRACER_MODULES.test(path))).toEqual([]);
    expect(inputs.some((path) => path.endsWith('shared/middleware/xray.ts'))).toBe(true);
    // A dynamic import of a builtin (the SDK's HTTP handler imports node:http so) would load undici.
    expect(handler.outputFiles[0]!.text).not.toMatch(/\bimport\(/);
  }, 60_000);

  it('when the bundled step is invoked, a sampled first invocation sends its handler and AWS call subsegments to the daemon, an unsampled one nothing', async () => {
    // Prepare
    const handler = await build({ ...bundleOptions('check-bake-alarms'), write: false, sourcemap: false });
    writeFileSync(join(dir, 'handler.js'), handler.outputFiles[0]!.contents);
    const event = join(dir, 'event.json');
    writeFileSync(
      event,
      JSON.stringify({
        ...ppeStageRun(),
        deployment: {
          previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:41',
          taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:42',
          deploymentId: 'ecs-svc/0000000000000000042',
          startedAt: Date.parse('2026-11-20T09:15:30Z'),
        },
      }),
    );
    const daemon = createSocket('udp4');
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const received: SubsegmentDocument[] = [];
    daemon.on('message', (packet) =>
      received.push(JSON.parse(packet.toString().split('\n')[1]!) as SubsegmentDocument),
    );
    const port = await closedPort();
    const probe = `
      const { handler } = require(process.argv[1]);
      const atLoad = process.moduleLoadList.some((m) => /dgram/.test(m));
      const event = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
      handler(event, { functionName: 'probe', awsRequestId: 'probe-1', getRemainingTimeInMillis: () => 1000 })
        .catch((error) => error.name)
        .then((outcome) => console.log(JSON.stringify({ atLoad, outcome })));`;
    const firstInvocation = async (traceHeader?: string) => {
      received.length = 0;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['-e', probe, join(dir, 'handler.js'), event],
          {
            env: {
              PATH: process.env.PATH,
              POWERTOOLS_DEV: '',
              AWS_REGION: 'eu-west-1',
              AWS_ACCESS_KEY_ID: 'AKIDFUNCTIONBUNDLES',
              AWS_SECRET_ACCESS_KEY: 'secret',
              AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
              AWS_MAX_ATTEMPTS: '1',
              AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
              _HANDLER: 'dist/functions/check-bake-alarms/handler.handler',
              ...(traceHeader && { _X_AMZN_TRACE_ID: traceHeader }),
            },
          },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      );
      // Loopback datagrams are queued before the process ends; give the event loop a turn to read them.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { ...(JSON.parse(out.trim().split('\n').pop()!) as object), sent: [...received] };
    };

    // Act
    const sampled = await firstInvocation(SAMPLED);
    const notSampled = await firstInvocation(SAMPLED.replace('Sampled=1', 'Sampled=0'));
    const untraced = await firstInvocation();
    daemon.close();

    // Assess
    expect(sampled).toMatchObject({ atLoad: false, outcome: 'AwsTransientError' });
    const handlerDoc = sampled.sent.find((doc) => doc.name.startsWith('## '));
    expect(handlerDoc).toMatchObject({
      name: '## dist/functions/check-bake-alarms/handler.handler',
      trace_id: '1-6763a2f0-0123456789abcdef01234567',
      parent_id: '0123456789abcdef',
      fault: true,
      annotations: { ColdStart: true, step: 'check-bake-alarms', environment: 'ppe' },
    });
    const calls = sampled.sent.filter((doc) => doc.namespace === 'remote');
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls)
      expect(call).toMatchObject({
        name: '127.0.0.1',
        parent_id: handlerDoc!.id,
        fault: true,
        http: { request: { method: 'POST', url: `http://127.0.0.1:${port}/` } },
      });
    expect(notSampled).toEqual({ atLoad: false, outcome: 'AwsTransientError', sent: [] });
    expect(untraced).toEqual({ atLoad: false, outcome: 'AwsTransientError', sent: [] });
  }, 120_000);

  it('when a function is bundled with the packaged configuration digest, the bundle carries it for the cold start', async () => {
    // Prepare
    const digest = 'f'.repeat(64);

    // Act
    const withDigest = await build({
      ...bundleOptions('start-promotion', digest),
      write: false,
      sourcemap: false,
    });
    const without = await build({ ...bundleOptions('start-promotion'), write: false, sourcemap: false });

    // Assess
    expect(withDigest.outputFiles[0]!.text).toContain(JSON.stringify(digest));
    expect(without.outputFiles[0]!.text).not.toContain(JSON.stringify(digest));
  }, 60_000);
});
