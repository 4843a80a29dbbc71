import {
  CloudWatchClient,
  GetMetricDataCommand,
  CloudWatchServiceException,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { handler, TRANSIENT_RETRY_SECONDS } from '../../functions/shift-traffic/handler';
import { TEST_CHECK_RETRY_SECONDS } from '../../shared/use-cases/run-test-checks';
import type { LifecycleHookResponse, TrafficShiftHookDetails } from '../../shared/domain/traffic-shift-hook';
import { useAwsClientFactory } from '../../shared/wiring/aws-clients';
import { unmodelledSdkError } from '../helpers/sdk-errors';
import { fakeLambdaContext, rejectionOf } from '../support/fakes';

const MINUTE = 60_000;
const ROOT = join(__dirname, '..', '..');
/** What ECS sends on its first call of the hook (events/ecs-lifecycle-hook-shift-traffic.json). */
const firstCall = JSON.parse(
  readFileSync(join(ROOT, 'events', 'ecs-lifecycle-hook-shift-traffic.json'), 'utf8'),
) as { hookDetails: TrafficShiftHookDetails } & Record<string, unknown>;
const { targets } = firstCall.hookDetails;

/** The production listener rule as ELB describes it before the shift: everything to blue. */
const rule = {
  RuleArn: targets.listenerRule,
  IsDefault: false,
  Actions: [
    {
      Type: 'forward' as const,
      Order: 1,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: targets.blueTargetGroup, Weight: 100 },
          { TargetGroupArn: targets.greenTargetGroup, Weight: 0 },
        ],
      },
    },
  ],
};

const result = (Id: string, value: number): MetricDataResult => ({
  Id,
  Values: [value],
  Timestamps: [new Date()],
  StatusCode: 'Complete',
});

/** Blue healthy; green with 2.3× blue's p95 over the window (seconds, as CloudWatch has it). */
const slowGreen: MetricDataResult[] = [
  result('blue_requests', 22_876),
  result('blue_errors', 41),
  result('blue_p95', 0.18),
  result('green_requests', 1_204),
  result('green_errors', 1),
  result('green_p95', 0.412),
];

/** ECS's second call: the hookDetails the first call returned, ten minutes later. */
function secondCall(): Record<string, unknown> {
  const stepStartedAt = Date.now() - 10 * MINUTE;
  return {
    ...firstCall,
    hookDetails: {
      ...firstCall.hookDetails,
      progress: { step: 0, stepStartedAt, extensions: 0, status: 'shifting', records: [] },
    },
  };
}

function greenWeights(): number[] {
  return elb
    .commandCalls(ModifyRuleCommand)
    .map(
      (call) =>
        call.args[0].input.Actions?.[0]?.ForwardConfig?.TargetGroups?.find(
          (g) => g.TargetGroupArn === targets.greenTargetGroup,
        )?.Weight ?? -1,
    );
}

const cloudwatch = mockClient(CloudWatchClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const documents = mockClient(DynamoDBDocumentClient);
const invoke = (event: unknown) =>
  handler(event, fakeLambdaContext('shift-traffic')) as Promise<LifecycleHookResponse>;

describe('shift-traffic handler (the ECS lifecycle hook)', () => {
  const env = process.env.PIPELINE_TABLE;

  beforeAll(() => {
    process.env.PIPELINE_TABLE = 'pipeline';
    useAwsClientFactory((Service, region) => new Service({ region: region || 'eu-west-1' }));
  });

  beforeEach(() => {
    for (const mock of [cloudwatch, elb, documents]) mock.reset();
    elb.on(DescribeRulesCommand).resolves({ Rules: [rule] });
    elb.on(ModifyRuleCommand).resolves({});
    documents.on(PutCommand).resolves({});
  });

  afterAll(() => {
    for (const mock of [cloudwatch, elb, documents]) mock.restore();
    useAwsClientFactory();
    if (env === undefined) delete process.env.PIPELINE_TABLE;
    else process.env.PIPELINE_TABLE = env;
  });

  it('when ECS calls it first, it gives green 5%, records the progress and asks to be called after the window', async () => {
    // Act
    const response = await invoke(firstCall);

    // Assess
    expect(response).toMatchObject({ hookStatus: 'IN_PROGRESS', callBackDelay: 600 });
    expect(response.hookDetails).toMatchObject({
      ...firstCall.hookDetails,
      progress: { step: 0, status: 'shifting', records: [] },
    });
    expect(greenWeights()).toEqual([5]);
    const put = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toMatchObject({
      pk: 'TRAFFIC_SHIFT#tag-orders-api-v1-4-0',
      sk: 'prod#eu-west-1',
      progress: { step: 0, status: 'shifting' },
    });
    expect(elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input.RuleArn).toBe(targets.listenerRule);
  });

  it('when green is slower than blue at 5%, it sends everything back to blue and answers FAILED with the cause', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: slowGreen });

    // Act
    const response = await invoke(secondCall());

    // Assess
    expect(response.hookStatus).toBe('FAILED');
    expect(response.hookDetails?.progress?.cause).toMatch(
      /^p95 412 ms vs baseline 180 ms \(2\.3×\) at 5% after 10 min, 1,204 requests$/,
    );
    expect(greenWeights()).toEqual([0]);
    expect(documents.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({
      progress: { status: 'failed', records: [{ percent: 5, outcome: 'fail' }] },
    });
  });

  it('when CloudWatch throttles, it moves nothing and asks ECS to call again with the same hookDetails', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling'));
    const event = secondCall();

    // Act
    const response = await invoke(event);

    // Assess
    expect(response).toEqual({
      hookStatus: 'IN_PROGRESS',
      callBackDelay: TRANSIENT_RETRY_SECONDS,
      hookDetails: event.hookDetails,
    });
    expect(greenWeights()).toEqual([]);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('when the event is not an ECS lifecycle hook event, it fails with MalformedEvent naming the fields', async () => {
    // Act
    const error = await rejectionOf(invoke({ detail: { lastStatus: 'STOPPED' } }));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toMatch(
      /^malformed ECS lifecycle hook event: executionId: .*lifecycleStage: .*resourceArn: .*executionDetails: /,
    );
    expect(elb.calls()).toHaveLength(0);
  });

  it("when the hookDetails are not the pipeline's, it fails with InvalidStepInput and touches no traffic", async () => {
    // Act
    const error = await rejectionOf(invoke({ ...firstCall, hookDetails: { S3_BUCKET_NAME: 'approvals' } }));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/hookDetails are not the pipeline's: executionName: /);
    expect(elb.calls()).toHaveLength(0);
  });
});

/** What ECS sends at POST_TEST_TRAFFIC_SHIFT of a blue-green stage with a test check (events/ecs-lifecycle-hook-test-checks.json). */
const testCall = JSON.parse(
  readFileSync(join(ROOT, 'events', 'ecs-lifecycle-hook-test-checks.json'), 'utf8'),
) as { hookDetails: TrafficShiftHookDetails } & Record<string, unknown>;

/** The test call with its checks aimed at `endpoint` (a real server on loopback stands in for the test listener). */
function testCallTo(endpoint: string): Record<string, unknown> {
  const { testChecks } = testCall.hookDetails;
  return { ...testCall, hookDetails: { ...testCall.hookDetails, testChecks: { ...testChecks!, endpoint } } };
}

describe('shift-traffic handler at POST_TEST_TRAFFIC_SHIFT (blue-green test checks)', () => {
  const env = process.env.PIPELINE_TABLE;
  let status = 200;
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    process.env.PIPELINE_TABLE = 'pipeline';
    useAwsClientFactory((Service, region) => new Service({ region: region || 'eu-west-1' }));
    server = createServer((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ status: status === 200 ? 'ok' : 'unhealthy' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    for (const mock of [cloudwatch, elb, documents]) mock.reset();
    documents.on(PutCommand).resolves({});
  });

  afterAll(async () => {
    for (const mock of [cloudwatch, elb, documents]) mock.restore();
    useAwsClientFactory();
    if (env === undefined) delete process.env.PIPELINE_TABLE;
    else process.env.PIPELINE_TABLE = env;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('when green passes the checks through the test listener, it answers SUCCEEDED and touches no listener rule', async () => {
    // Prepare
    status = 200;

    // Act
    const response = await invoke(testCallTo(endpoint));

    // Assess
    expect(response.hookStatus).toBe('SUCCEEDED');
    expect(elb.calls()).toHaveLength(0);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('when green answers 503, it answers FAILED and records the cause for the stage', async () => {
    // Prepare
    status = 503;

    // Act
    const response = await invoke(testCallTo(endpoint));

    // Assess
    expect(response.hookStatus).toBe('FAILED');
    expect(elb.calls()).toHaveLength(0);
    const put = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toMatchObject({
      pk: 'TRAFFIC_SHIFT#tag-orders-api-v1-4-0',
      sk: 'prod#eu-west-1',
      progress: {
        status: 'failed',
        cause: `test check 'health' GET ${endpoint}/health: 503, expected 200`,
        records: [],
      },
    });
  });

  it('when nothing listens at the test endpoint, it asks ECS to call again shortly instead of rolling back at once', async () => {
    // Prepare: a port that was just closed refuses the connection
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    // Act
    const response = await invoke(testCallTo(`http://127.0.0.1:${port}`));

    // Assess
    expect(response).toMatchObject({
      hookStatus: 'IN_PROGRESS',
      callBackDelay: TEST_CHECK_RETRY_SECONDS,
      hookDetails: { testAttempts: { failed: 1 } },
    });
    expect(response.hookDetails?.testAttempts?.lastProblem).toMatch(/request failed: ECONNREFUSED/);
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('shift-traffic handler with TEST_CHECKS_FUNCTION_ARN (a smokeTestVpc for the region)', () => {
  const SMOKE = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-promotion-pipeline-prod-runSmokeChecks';
  const saved = { table: process.env.PIPELINE_TABLE, fn: process.env.TEST_CHECKS_FUNCTION_ARN };

  afterAll(() => {
    for (const [key, value] of [
      ['PIPELINE_TABLE', saved.table],
      ['TEST_CHECKS_FUNCTION_ARN', saved.fn],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  });

  it('when the variable names the smoke-test function, the hook asks it to run the checks and judges its answer', async () => {
    // Prepare: a fresh module registry, so the handler wires itself with the variable set
    process.env.PIPELINE_TABLE = 'pipeline';
    process.env.TEST_CHECKS_FUNCTION_ARN = SMOKE;
    const endpoint = 'https://orders-api-test.eu-west-1.example.internal';
    let response: LifecycleHookResponse | undefined;
    let asked: unknown[] = [];
    let recorded: unknown[] = [];
    await jest.isolateModulesAsync(async () => {
      const lambdaSdk = await import('@aws-sdk/client-lambda');
      const dynamo = await import('@aws-sdk/lib-dynamodb');
      const clients = await import('../../shared/wiring/aws-clients');
      const fresh = await import('../../functions/shift-traffic/handler');
      clients.useAwsClientFactory((Service, region) => new Service({ region: region || 'eu-west-1' }));
      const lambda = mockClient(lambdaSdk.LambdaClient);
      const table = mockClient(dynamo.DynamoDBDocumentClient);
      table.on(dynamo.PutCommand).resolves({});
      lambda.on(lambdaSdk.InvokeCommand).callsFake((input: { Payload: Uint8Array }) => {
        const request = JSON.parse(new TextDecoder().decode(input.Payload)) as { checks: { name: string }[] };
        const results = request.checks.map((c) => ({
          name: c.name,
          url: `${endpoint}/${c.name}`,
          passed: false,
          status: 503,
          latencyMs: 4,
          problem: 'expected status 200, got 503',
        }));
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ results })) };
      });
      response = (await fresh.handler(
        testCallTo(endpoint),
        fakeLambdaContext('shift-traffic'),
      )) as LifecycleHookResponse;
      asked = lambda.commandCalls(lambdaSdk.InvokeCommand).map((call) => call.args[0].input.FunctionName);
      recorded = table.commandCalls(dynamo.PutCommand).map((call) => call.args[0].input.Item);
      lambda.restore();
      table.restore();
      clients.useAwsClientFactory();
    });

    // Assess: the function's 503 is the verdict (the hook itself could not have reached this endpoint)
    expect(asked).toEqual([SMOKE]);
    expect(response?.hookStatus).toBe('FAILED');
    expect(recorded).toEqual([
      expect.objectContaining({
        progress: expect.objectContaining({
          cause: `test check 'health' GET ${endpoint}/health: 503, expected 200`,
        }),
      }),
    ]);
  });
});
