/**
 * The functions ship the AWS SDK bundled from its ES module build, with only the environment link of the
 * credential chain (scripts/build-functions.ts). This bundles the DynamoDB, ECS and Step Functions adapters
 * the same way and runs them in a fresh process: against dynalite, and against a loopback stand-in for ECS
 * and Step Functions that records what it receives. The bundled SDK takes its settings from the environment
 * only, never from ~/.aws/config or ~/.aws/credentials, which a Lambda does not have.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/build-functions';
import { createPipelineTable } from '../../shared/aws/pipeline-table';
import { startDynalite, type LocalDynamo } from '../shared/aws/dynalite';

const ACCESS_KEY = 'AKIDBUNDLEDSDKTEST';

interface Received {
  target: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers ECS DescribeServices and Step Functions SendTaskSuccess as AWS would (JSON protocols). */
function startAwsStandIn(received: Received[]): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      received.push({ target, headers: request.headers, body });
      const answer = target.endsWith('DescribeServices')
        ? {
            services: [
              {
                serviceName: 'orders-api',
                status: 'ACTIVE',
                taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:42',
                deployments: [],
              },
            ],
            failures: [],
          }
        : {};
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env, timeout: 60_000 }, (error, out, err) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

describe('the AWS SDK as bundled into the functions', () => {
  let dir: string;
  let bundle: string;
  let dynamo: LocalDynamo;
  let standIn: Server;
  const received: Received[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bundled-sdk-'));
    bundle = join(dir, 'adapters.js');
    await build({
      ...bundleOptions('deploy-service'),
      entryPoints: [join(__dirname, 'fixtures', 'bundled-adapters.ts')],
      outfile: bundle,
      sourcemap: false,
      logLevel: 'silent',
    });
    dynamo = await startDynalite();
    await createPipelineTable(dynamo.client, 'pipeline');
    standIn = await startAwsStandIn(received);
    const standInUrl = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
    env = {
      PATH: process.env.PATH,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: 'bundled-sdk-secret',
      AWS_SESSION_TOKEN: 'bundled-sdk-session',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_ECS: standInUrl,
      AWS_ENDPOINT_URL_SFN: standInUrl,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }, 180_000);

  afterAll(async () => {
    await dynamo?.close();
    standIn?.closeAllConnections();
    await new Promise((resolve) => standIn?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the adapters run from the bundle, DynamoDB, ECS and Step Functions calls work with the environment credentials', async () => {
    // Act
    const result = await run(bundle, ['pipeline'], env);

    // Assess
    expect(result.err).toBe('');
    expect(JSON.parse(result.out)).toEqual({
      stored: expect.objectContaining({ deploymentId: 'ecs-svc/0000000000000000042', taskToken: 'token-42' }),
      service: {
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/orders-api:42',
        deployments: [],
      },
      answered: true,
    });
    expect(received.map((r) => r.target)).toEqual([
      'AmazonEC2ContainerServiceV20141113.DescribeServices',
      'AWSStepFunctions.SendTaskSuccess',
    ]);
    for (const { headers } of received) {
      expect(headers.authorization).toContain(`Credential=${ACCESS_KEY}/`);
      expect(headers['x-amz-security-token']).toBe('bundled-sdk-session');
    }
  });

  it('when the bundle is built, it carries none of the credential providers Lambda never reaches', () => {
    const code = readFileSync(bundle, 'utf8');
    for (const provider of [
      'fromSSO',
      'fromIni',
      'fromProcess',
      'fromTokenFile',
      'fromInstanceMetadata',
      'fromContainerMetadata',
    ])
      expect({ provider, bundled: code.includes(provider) }).toEqual({ provider, bundled: false });
  });

  it('when a profile in ~/.aws/config sets what the environment does not, the bundle does not read it; the environment still counts', async () => {
    // Prepare: a user agent app id (sdk_ua_app_id) is sent with every request when it is configured.
    const home = join(dir, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'config'), '[default]\nsdk_ua_app_id = from-config-file\n');
    const userAgents = async (extra: NodeJS.ProcessEnv) => {
      const before = received.length;
      const result = await run(bundle, ['pipeline'], { ...env, HOME: home, ...extra });
      expect(result.err).toBe('');
      return received.slice(before).map((r) => `${r.headers['user-agent']} ${r.headers['x-amz-user-agent']}`);
    };

    // Act
    const withFile = await userAgents({});
    const withEnvironment = await userAgents({ AWS_SDK_UA_APP_ID: 'from-environment' });

    // Assess
    expect(withFile).toHaveLength(2);
    for (const agent of withFile) expect(agent).not.toContain('from-config-file');
    expect(withEnvironment).toHaveLength(2);
    for (const agent of withEnvironment) expect(agent).toContain('app/from-environment');
  });

  it('when the environment has no credentials, the call fails saying which variables to set', async () => {
    // Prepare
    const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...withoutCredentials } = env;

    // Act
    const result = await run(bundle, ['pipeline'], withoutCredentials);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });
});
