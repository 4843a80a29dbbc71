import { ManualClock } from '../../../shared/clock';
import { InvalidStepInputError } from '../../../shared/domain/errors';
import type {
  LifecycleHookResponse,
  TrafficShiftHookDetails,
} from '../../../shared/domain/traffic-shift-hook';
import type { HttpProbe, HttpProbeResult } from '../../../shared/ports/deployment';
import type {
  TrafficMetricsSource,
  TrafficRouter,
  TrafficTargets,
  TrafficWindow,
} from '../../../shared/ports/traffic';
import { createSmokeTestFunction } from '../../../functions/run-smoke-checks/handler';
import { InvokedTestCheckRunner, type InvokeFunction } from '../../../shared/aws/test-check-runner.adapter';
import type { TestCheckRunner } from '../../../shared/ports/traffic-shift';
import { invokeThroughMiddleware } from '../../support/fakes';
import { TEST_CHECK_MAX_ATTEMPTS, TEST_CHECK_RETRY_SECONDS } from '../../../shared/use-cases/run-test-checks';
import { shiftTraffic, type ShiftTrafficDeps } from '../../../shared/use-cases/shift-traffic';
import { HOOK_REGION, hookEvent, releaseHookDetails } from '../../support/hook-event';
import { InMemoryTrafficShiftLog } from '../../support/shift-progress';
import { HEALTH_CHECK, ORDERS_CHECK } from '../../support/test-checks';

const REGION = HOOK_REGION;
const TEST_ENDPOINT = 'https://orders-api-test.eu-west-1.example.internal';

/** hookDetails as the ECS adapter sets them for a blue-green stage with two test checks. */
const details: TrafficShiftHookDetails = releaseHookDetails(
  {
    strategy: 'blue-green',
    steps: [],
    keepBlueMinutes: 15,
    thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 800 },
    maxExtensions: 3,
  },
  {
    testChecks: {
      endpoint: TEST_ENDPOINT,
      checks: [HEALTH_CHECK, ORDERS_CHECK],
    },
  },
);

type Answer = HttpProbeResult | Error;

/** A test double of the HTTP port: answers per URL path, in order (the last one repeats). */
class ScriptedEndpoint implements HttpProbe {
  readonly requests: string[] = [];
  constructor(private readonly answers: Record<string, Answer[]>) {}
  request({ url, method }: { url: string; method: 'GET' | 'HEAD' }): Promise<HttpProbeResult> {
    this.requests.push(`${method} ${url}`);
    const parsed = new URL(url);
    const queue = this.answers[parsed.pathname] ?? [];
    const answer = queue.length > 1 ? queue.shift()! : queue[0];
    if (!answer) return Promise.reject(new Error(`no answer scripted for ${url}`));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  }
}

const ok = (body = '{"status":"ok","items":[]}'): HttpProbeResult => ({ status: 200, body, latencyMs: 40 });
const unavailable: HttpProbeResult = { status: 503, body: '{"message":"no healthy tasks"}', latencyMs: 12 };
const refused = new Error('ECONNREFUSED');

/** The test checks touch neither the production weights nor the metrics. */
class UntouchedTraffic implements TrafficRouter, TrafficMetricsSource {
  readonly weights: number[] = [];
  async setGreenWeight(_targets: TrafficTargets, greenPercent: number): Promise<void> {
    this.weights.push(greenPercent);
  }
  sample(_targets: TrafficTargets, _window: TrafficWindow): never {
    throw new Error('the test checks sampled production metrics');
  }
}

/** Calls the hook at POST_TEST_TRAFFIC_SHIFT as ECS does: again after each callBackDelay, with the hookDetails it returned. */
async function driveAsEcs(
  endpoint: ScriptedEndpoint,
  hookDetails: unknown = details,
  testChecks?: TestCheckRunner,
) {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 9));
  const traffic = new UntouchedTraffic();
  const log = new InMemoryTrafficShiftLog();
  const deps: ShiftTrafficDeps = {
    metrics: traffic,
    router: traffic,
    log,
    clock,
    probe: endpoint,
    ...(testChecks && { testChecks }),
  };
  const responses: LifecycleHookResponse[] = [];
  for (let call = 0; call < 20; call++) {
    const response = await shiftTraffic(hookEvent(hookDetails, 'POST_TEST_TRAFFIC_SHIFT'), deps);
    responses.push(response);
    if (response.hookStatus !== 'IN_PROGRESS') break;
    hookDetails = response.hookDetails;
    await clock.advance(response.callBackDelay! * 1000);
  }
  const logged = await log.get({ executionName: details.executionName, environment: 'prod', region: REGION });
  return { responses, logged, weights: traffic.weights };
}

describe('blue-green test checks through the test listener (the hook at POST_TEST_TRAFFIC_SHIFT)', () => {
  it('when every check passes, it succeeds at once and leaves production traffic alone', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [ok()], '/orders': [ok()] });

    // Act
    const { responses, logged, weights } = await driveAsEcs(endpoint);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['SUCCEEDED']);
    expect(endpoint.requests).toEqual([`GET ${TEST_ENDPOINT}/health`, `GET ${TEST_ENDPOINT}/orders?limit=1`]);
    expect(weights).toEqual([]);
    expect(logged).toBeUndefined();
    expect(responses[0]!.hookDetails?.progress).toBeUndefined();
  });

  it('when green answers a check wrongly, it fails at once with the check, the URL and the status as the cause', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [unavailable], '/orders': [ok()] });

    // Act
    const { responses, logged, weights } = await driveAsEcs(endpoint);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['FAILED']);
    expect(logged).toMatchObject({
      status: 'failed',
      cause: `test check 'health' GET ${TEST_ENDPOINT}/health: 503, expected 200`,
      records: [],
    });
    expect(weights).toEqual([]);
  });

  it('when green answers with the right status but not the expected body, the cause says what was missing', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [ok()], '/orders': [ok('{"status":"ok"}')] });

    // Act
    const { responses, logged } = await driveAsEcs(endpoint);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['FAILED']);
    expect(logged?.cause).toBe(
      `test check 'orders' GET ${TEST_ENDPOINT}/orders?limit=1: body does not contain "items"`,
    );
  });

  it('when a check gets no answer at first, it asks ECS to call again shortly and passes once green answers', async () => {
    // Prepare: two refused connections (green's listener not ready yet), then answers
    const endpoint = new ScriptedEndpoint({ '/health': [refused, refused, ok()], '/orders': [ok()] });

    // Act
    const { responses, logged } = await driveAsEcs(endpoint);

    // Assess
    expect(responses.map((r) => [r.hookStatus, r.callBackDelay])).toEqual([
      ['IN_PROGRESS', TEST_CHECK_RETRY_SECONDS],
      ['IN_PROGRESS', TEST_CHECK_RETRY_SECONDS],
      ['SUCCEEDED', undefined],
    ]);
    expect(responses[1]!.hookDetails?.testAttempts).toEqual({
      failed: 2,
      lastProblem: `test check 'health' GET ${TEST_ENDPOINT}/health: request failed: ECONNREFUSED`,
    });
    // Nothing of the retries is left in the details ECS passes on.
    expect(responses[2]!.hookDetails?.testAttempts).toBeUndefined();
    expect(logged).toBeUndefined();
  });

  it('when a check never gets an answer, it fails after a bounded number of calls, saying so', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [refused], '/orders': [ok()] });

    // Act
    const { responses, logged } = await driveAsEcs(endpoint);

    // Assess
    expect(responses).toHaveLength(TEST_CHECK_MAX_ATTEMPTS);
    expect(responses.at(-1)!.hookStatus).toBe('FAILED');
    expect(logged?.cause).toBe(
      `test check 'health' GET ${TEST_ENDPOINT}/health: request failed: ECONNREFUSED ` +
        `(no answer in ${TEST_CHECK_MAX_ATTEMPTS} attempts, ${TEST_CHECK_RETRY_SECONDS} s apart)`,
    );
  });

  it('when one check gets no answer and another a wrong one, the wrong answer is the verdict', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [refused], '/orders': [unavailable] });

    // Act
    const { responses, logged } = await driveAsEcs(endpoint);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['FAILED']);
    expect(logged?.cause).toBe(`test check 'orders' GET ${TEST_ENDPOINT}/orders?limit=1: 503, expected 200`);
  });

  it('when the stage has no test checks, it succeeds without a request', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({});
    const { testChecks: _checks, ...withoutChecks } = details;

    // Act
    const { responses } = await driveAsEcs(endpoint, withoutChecks);

    // Assess
    expect(responses).toEqual([{ hookStatus: 'SUCCEEDED' }]);
    expect(endpoint.requests).toEqual([]);
  });

  it('when the test checks in hookDetails are malformed, it refuses naming the field (ECS then rolls back)', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({});
    const malformed = {
      ...details,
      testChecks: { endpoint: TEST_ENDPOINT, checks: [{ name: 'health', method: 'GET' }] },
    };

    // Act
    const error = await driveAsEcs(endpoint, malformed).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidStepInputError);
    expect((error as Error).message).toMatch(
      /hookDetails are not the pipeline's: testChecks\.checks\.0\.path/,
    );
    expect(endpoint.requests).toEqual([]);
  });
});

const SMOKE_FUNCTION =
  'arn:aws:lambda:eu-west-1:123456789012:function:ecs-promotion-pipeline-prod-runSmokeChecks';

/** The smoke-test function in the VPC, as Lambda runs it: its real handler, behind its middleware. */
function smokeFunctionReaching(endpoint: HttpProbe): { invoke: InvokeFunction; asked: unknown[] } {
  const asked: unknown[] = [];
  const step = createSmokeTestFunction({ probe: endpoint });
  return {
    asked,
    invoke: async (name, payload) => {
      expect(name).toBe(SMOKE_FUNCTION);
      asked.push(payload);
      // Through JSON, as Lambda's payloads are.
      return JSON.parse(
        JSON.stringify(
          await invokeThroughMiddleware('run-smoke-checks', step, JSON.parse(JSON.stringify(payload))),
        ),
      ) as unknown;
    },
  };
}

describe('blue-green test checks through the smoke-test function in the VPC (smokeTestVpc)', () => {
  it('when every check passes there, it succeeds at once, having asked the function for the endpoint and the checks', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [ok()], '/orders': [ok()] });
    const fn = smokeFunctionReaching(endpoint);
    const lambdaOnly = new ScriptedEndpoint({});

    // Act
    const { responses } = await driveAsEcs(
      lambdaOnly,
      details,
      new InvokedTestCheckRunner({ functionName: SMOKE_FUNCTION, invoke: fn.invoke }),
    );

    // Assess: the hook itself sent no request; the function sent them all.
    expect(responses.map((r) => r.hookStatus)).toEqual(['SUCCEEDED']);
    expect(lambdaOnly.requests).toEqual([]);
    expect(endpoint.requests).toEqual([`GET ${TEST_ENDPOINT}/health`, `GET ${TEST_ENDPOINT}/orders?limit=1`]);
    expect(fn.asked).toEqual([
      { request: 'test-checks', endpoint: TEST_ENDPOINT, checks: details.testChecks!.checks },
    ]);
  });

  it('when green answers a check wrongly there, it fails at once with the same cause as in the hook', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [unavailable], '/orders': [ok()] });
    const runner = new InvokedTestCheckRunner({
      functionName: SMOKE_FUNCTION,
      invoke: smokeFunctionReaching(endpoint).invoke,
    });

    // Act
    const { responses, logged } = await driveAsEcs(new ScriptedEndpoint({}), details, runner);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['FAILED']);
    expect(logged?.cause).toBe(`test check 'health' GET ${TEST_ENDPOINT}/health: 503, expected 200`);
  });

  it('when the function is throttled at first, that is no answer: ECS calls again, and it passes once the function answers', async () => {
    // Prepare
    const endpoint = new ScriptedEndpoint({ '/health': [ok()], '/orders': [ok()] });
    const fn = smokeFunctionReaching(endpoint);
    let throttled = 1;
    const runner = new InvokedTestCheckRunner({
      functionName: SMOKE_FUNCTION,
      invoke: (name, payload) => {
        if (throttled-- > 0)
          return Promise.reject(
            Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' }),
          );
        return fn.invoke(name, payload);
      },
    });

    // Act
    const { responses } = await driveAsEcs(new ScriptedEndpoint({}), details, runner);

    // Assess
    expect(responses.map((r) => r.hookStatus)).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    expect(responses[0]!.hookDetails?.testAttempts?.lastProblem).toContain(
      `test check 'health' GET ${TEST_ENDPOINT}/health: the smoke-test function ${SMOKE_FUNCTION} did not answer: TooManyRequestsException: Rate Exceeded.`,
    );
  });

  it('when the function never answers, it fails after the bounded attempts with a cause naming the function', async () => {
    // Prepare
    const runner = new InvokedTestCheckRunner({
      functionName: SMOKE_FUNCTION,
      invoke: () =>
        Promise.reject(new Error('function error Sandbox.Timedout: Task timed out after 300.00 seconds')),
    });

    // Act
    const { responses, logged } = await driveAsEcs(new ScriptedEndpoint({}), details, runner);

    // Assess
    expect(responses).toHaveLength(TEST_CHECK_MAX_ATTEMPTS);
    expect(responses.at(-1)!.hookStatus).toBe('FAILED');
    expect(logged?.cause).toContain(
      `test check 'health' GET ${TEST_ENDPOINT}/health: the smoke-test function ${SMOKE_FUNCTION} did not answer: function error Sandbox.Timedout`,
    );
    expect(logged?.cause).toMatch(/\(no answer in 6 attempts, 10 s apart\)$/);
  });

  it('when the function answers something else than the results, it is no verdict and the cause says what was wrong', async () => {
    // Prepare: an older smoke-test function that takes the request for a stage run
    const runner = new InvokedTestCheckRunner({
      functionName: SMOKE_FUNCTION,
      invoke: async () => [{ name: 'health', passed: true }],
    });

    // Act
    const { responses } = await driveAsEcs(new ScriptedEndpoint({}), details, runner);

    // Assess
    expect(responses[0]!.hookStatus).toBe('IN_PROGRESS');
    expect(responses[0]!.hookDetails?.testAttempts?.lastProblem).toContain(
      `the smoke-test function ${SMOKE_FUNCTION} answered no test check results`,
    );
  });
});
