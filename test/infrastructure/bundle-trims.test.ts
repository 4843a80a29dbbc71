/**
 * What the build trims from the function bundles beyond tree-shaking (scripts/build-functions.ts,
 * docs/cold-start.md): the schemas of SDK operations a function never sends, and all of an SDK package.json
 * but its version. Each trim is checked by what the bundle carries and by running the bundled code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ReadableStream } from 'node:stream/web';
import { bundleOptions, plainSchemaKeys, STREAM_WEB_ON_FIRST_USE } from '../../scripts/build-functions';

interface Received {
  method: string;
  path: string;
  body: string;
}

/** Answers SESv2 SendEmail as AWS would (REST-JSON): accepted, or MessageRejected for rejected@… */
function startSesStandIn(received: Received[]): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method ?? '', path: request.url ?? '', body });
      if (body.includes('rejected@example.com')) {
        response.writeHead(400, {
          'content-type': 'application/json',
          'x-amzn-errortype': 'MessageRejected',
          'x-amzn-requestid': 'req-2',
        });
        response.end(JSON.stringify({ message: 'Email address is not verified.' }));
      } else {
        response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'req-1' });
        response.end(JSON.stringify({ MessageId: 'message-1' }));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function run(file: string, env: NodeJS.ProcessEnv): Promise<{ out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { env, timeout: 60_000 }, (_error, out, err) => resolve({ out, err }));
  });
}

describe('bundle trims', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-trims-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("when a schema module's traits use its string constants as computed keys, they become plain keys", () => {
    // Prepare
    const source = [
      'const _h = "http";',
      'const _e = "error";',
      'const _q = "say \\"hi\\"";',
      'export var Op$ = [9, n0, _O, { [_h]: ["POST", "/v2/x", 200] }, () => In$, () => Out$];',
      'export var Err$ = [-3, n0, _E, { [_e]: _c, [_q]: 1, [unknown]: 2 }, [_m], [0]];',
    ].join('\n');

    // Act
    const plain = plainSchemaKeys(source);

    // Assess
    expect(plain).toContain('{ "http": ["POST", "/v2/x", 200] }');
    expect(plain).toContain('{ "error": _c, "say \\"hi\\"": 1, [unknown]: 2 }');
    expect(plain).toContain('const _h = "http";');
  });

  it('when the SES mailer is bundled, only SendEmail keeps its schemas, and it still sends and maps SES errors', async () => {
    // Prepare
    const received: Received[] = [];
    const standIn = await startSesStandIn(received);
    const bundle = join(dir, 'mailer.js');
    const result = await build({
      ...bundleOptions('request-approval'),
      entryPoints: [join(__dirname, 'fixtures', 'bundled-mailer.ts')],
      outfile: bundle,
      sourcemap: false,
      metafile: true,
      logLevel: 'silent',
    });
    const schemaBytes = Object.entries(Object.values(result.metafile.outputs)[0]!.inputs).find(([path]) =>
      /client-sesv2[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/.test(path),
    )?.[1].bytesInOutput;

    // Act
    const { out, err } = await run(bundle, {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLETRIMS',
      AWS_SECRET_ACCESS_KEY: 'bundle-trims-secret',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_SESV2: `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    standIn.closeAllConnections();
    await new Promise((resolve) => standIn.close(resolve));

    // Assess: all of SESv2's shapes were 47 KB of the bundle
    expect(schemaBytes).toBeLessThan(10_000);
    const code = readFileSync(bundle, 'utf8');
    expect(code).toContain('/v2/email/outbound-emails');
    expect(code).not.toContain('/v2/email/contact-lists');
    expect(err).toBe('');
    expect(JSON.parse(out)).toEqual([
      'sent',
      expect.stringMatching(
        /^PipelineMisconfigured: SES SendEmail to rejected@example.com failed \(MessageRejected/,
      ),
    ]);
    expect(received.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'POST /v2/email/outbound-emails',
      'POST /v2/email/outbound-emails',
    ]);
    expect(JSON.parse(received[0]!.body)).toEqual({
      FromEmailAddress: 'pipeline@example.com',
      Destination: { ToAddresses: ['ana@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Approve orders-api v1.4.0', Charset: 'UTF-8' },
          Body: {
            Html: { Data: '<p>Approve</p>', Charset: 'UTF-8' },
            Text: { Data: 'Approve', Charset: 'UTF-8' },
          },
        },
      },
      ConfigurationSetName: 'approvals',
    });
  }, 120_000);

  it('when a function is bundled, the SDK package.json files it imports keep only their version', async () => {
    // Act
    const result = await build({ ...bundleOptions('request-approval'), write: false, sourcemap: false });
    const code = result.outputFiles[0]!.text;

    // Assess: the user agent still names the client version
    const { version } = JSON.parse(
      readFileSync(require.resolve('@aws-sdk/client-sesv2/package.json'), 'utf8'),
    ) as { version: string };
    expect(code).toContain(`"${version}"`);
    expect(code).not.toContain('"devDependencies"');
    expect(code).not.toContain('"dependencies"');
  }, 60_000);

  it('when a step is bundled, loading it does not load node:stream/web, which middy needs only to stream a response', async () => {
    // Prepare
    const result = await build({ ...bundleOptions('stop-stage'), write: false, sourcemap: false });
    const file = join(dir, 'stop-stage.js');
    writeFileSync(file, result.outputFiles[0]!.text);
    const probe = join(dir, 'load-probe.js');
    writeFileSync(
      probe,
      `const before = new Set(process.moduleLoadList);
       const mod = require(${JSON.stringify(file)});
       const loaded = process.moduleLoadList.filter((name) => !before.has(name));
       console.log(JSON.stringify({ handler: typeof mod.handler, loaded }));`,
    );

    // Act
    const { out, err } = await run(probe, { PATH: process.env.PATH });

    // Assess
    const { handler, loaded } = JSON.parse(out.trim().split('\n').pop() ?? err) as {
      handler: string;
      loaded: string[];
    };
    expect(handler).toBe('function');
    expect(loaded).toContain('NativeModule https');
    expect(loaded).not.toContain('NativeModule stream/web');
  }, 60_000);

  it("when middy reads ReadableStream through the stand-in, it gets Node's own class", () => {
    // Act
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the stand-in is a CommonJS module
    const standIn = require(STREAM_WEB_ON_FIRST_USE) as { ReadableStream: unknown };

    // Assess
    expect(standIn.ReadableStream).toBe(ReadableStream);
  });
});
