import {
  InvokeCommand,
  LambdaClient,
  type InvokeCommandOutput,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvokedTestCheckRunner } from '../../../shared/aws/test-check-runner.adapter';
import type { TestCheck } from '../../../shared/domain/traffic-shift-hook';
import { sdkError } from '../../helpers/sdk-errors';
import { HEALTH_CHECK, ORDERS_CHECK } from '../../support/test-checks';

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:ecs-promotion-pipeline-prod-runSmokeChecks';
const ENDPOINT = 'https://orders-api-test.eu-west-1.example.internal';
const CHECKS: TestCheck[] = [HEALTH_CHECK, ORDERS_CHECK];
const PASSED = [
  { name: 'health', url: `${ENDPOINT}/health`, passed: true, status: 200, latencyMs: 31 },
  { name: 'orders', url: `${ENDPOINT}/orders?limit=1`, passed: true, status: 200, latencyMs: 44 },
];

/** A payload as Lambda answers it (the SDK adds string helpers to the bytes, which the adapter does not use). */
const bytes = (text: string) => new TextEncoder().encode(text) as unknown as InvokeCommandOutput['Payload'];
const json = (value: unknown) => bytes(JSON.stringify(value));

describe('InvokedTestCheckRunner (the smoke-test function in the VPC, through Lambda Invoke)', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());
  // One attempt: the SDK's own retries of a throttle are not what is tested here.
  const runner = () =>
    new InvokedTestCheckRunner({
      functionName: FUNCTION,
      client: new LambdaClient({ region: 'eu-west-1', maxAttempts: 1 }),
    });
  const noAnswer = (why: string) =>
    CHECKS.map((check) => ({
      name: check.name,
      url: new URL(check.path, ENDPOINT).toString(),
      passed: false,
      problem: `the smoke-test function ${FUNCTION} ${why}`,
    }));

  it('when the function answers, it returns its results and asked it synchronously with the endpoint and the checks', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ results: PASSED }) });

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess
    expect(results).toEqual(PASSED);
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe(FUNCTION);
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({
      request: 'test-checks',
      endpoint: ENDPOINT,
      checks: CHECKS,
    });
  });

  it('when Lambda throttles the invoke, every check is not answered, the cause naming the function and the error', async () => {
    // Prepare
    lambda
      .on(InvokeCommand)
      .rejects(sdkError(TooManyRequestsException, { status: 429, message: 'Rate Exceeded.' }));

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess: no status, so the hook takes it as no answer (IN_PROGRESS, bounded attempts)
    expect(results).toEqual(noAnswer('did not answer: TooManyRequestsException: Rate Exceeded.'));
  });

  it('when the function does not exist (deployed without it), the cause says so', async () => {
    // Prepare
    lambda
      .on(InvokeCommand)
      .rejects(
        sdkError(ResourceNotFoundException, { status: 404, message: `Function not found: ${FUNCTION}` }),
      );

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess
    expect(results).toEqual(
      noAnswer(`did not answer: ResourceNotFoundException: Function not found: ${FUNCTION}`),
    );
  });

  it('when the function times out, the cause is Lambda error type and message', async () => {
    // Prepare: Lambda answers 200 with FunctionError and its error payload
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: json({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 300.00 seconds' }),
    });

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess
    expect(results).toEqual(
      noAnswer('did not answer: function error Sandbox.Timedout: Task timed out after 300.00 seconds'),
    );
  });

  it('when the function refuses the request (a malformed event), the cause carries its message', async () => {
    // Prepare
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: json({
        errorType: 'MalformedEvent',
        errorMessage: 'malformed test check request: endpoint: Required',
      }),
    });

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess
    expect(results[0]!.problem).toBe(
      `the smoke-test function ${FUNCTION} did not answer: function error MalformedEvent: malformed test check request: endpoint: Required`,
    );
    expect(results[0]!.status).toBeUndefined();
  });

  it.each([
    ['not JSON', bytes('<html>'), 'did not answer: its answer is not JSON: "<html>"'],
    [
      'a stage run answer (an older function)',
      json(PASSED),
      "answered no test check results ((answer): Invalid input: expected object, received array): deploy the pipeline's functions together",
    ],
    [
      'results of other checks',
      json({ results: [PASSED[0]] }),
      'answered results for [health], asked [health, orders]',
    ],
  ])(
    'when the answer is %s, no check counts as answered and the cause says what was wrong',
    async (_what, payload, why) => {
      // Prepare
      lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload });

      // Act
      const results = await runner().run(ENDPOINT, CHECKS);

      // Assess
      expect(results).toEqual(noAnswer(why));
    },
  );

  it('when a check failed in the function, its result is passed on as the function judged it', async () => {
    // Prepare
    const failed = {
      name: 'health',
      url: `${ENDPOINT}/health`,
      passed: false,
      status: 503,
      latencyMs: 9,
      problem: 'expected status 200, got 503',
    };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ results: [failed, PASSED[1]] }) });

    // Act
    const results = await runner().run(ENDPOINT, CHECKS);

    // Assess
    expect(results).toEqual([failed, PASSED[1]]);
  });
});
