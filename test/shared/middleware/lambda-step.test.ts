import { Tracer } from '@aws-lambda-powertools/tracer';
import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import * as z from 'zod';
import { DeploymentFailedError } from '../../../shared/domain/errors';
import { lambdaStep, logger, metrics, stepTracer } from '../../../shared/middleware/lambda-step';
import { fakeLambdaContext, rejectionOf } from '../../support/fakes';

const EVENT = {
  executionName: 'push-orders-api-0123456789ab-abcdef012345',
  service: 'orders-api',
  version: 'sha-0123456',
  stage: { environment: 'ppe', region: 'eu-west-1' },
};

/**
 * A tracer that traces as in Lambda with active tracing, its X-Ray context held here instead of in the
 * Lambda environment, and without patching HTTP for the whole test worker. Nothing is sent: the root
 * segment is never closed, so it never flushes to a daemon.
 */
function activeTracer(root: Segment): Tracer {
  const active = new Tracer({ serviceName: 'test', enabled: true, captureHTTPsRequests: false });
  let current: Segment | Subsegment = root;
  jest.spyOn(active, 'isTracingEnabled').mockReturnValue(true);
  jest.spyOn(active.provider, 'getSegment').mockImplementation(() => current);
  jest.spyOn(active.provider, 'setSegment').mockImplementation((segment) => {
    current = segment;
  });
  return active;
}

/** What the X-Ray SDK keeps on a subsegment but leaves out of its type. */
type Recorded = Subsegment & { annotations?: Record<string, unknown>; metadata?: unknown };

describe('lambdaStep', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when the step succeeds, it returns its result and publishes one succeeded metric', async () => {
    // Prepare
    const added = jest.spyOn(metrics, 'addMetric');
    const flushed = jest.spyOn(metrics, 'publishStoredMetrics');
    const handler = lambdaStep('check-release', () => async (event: { n: number }) => event.n + 1);

    // Act
    const result = await handler({ n: 1 }, fakeLambdaContext('check-release'));

    // Assess
    expect(result).toBe(2);
    expect(added).toHaveBeenCalledWith('check-release.succeeded', 'Count', 1);
    expect(flushed).toHaveBeenCalledTimes(1);
  });

  it('when a function loads the step stack, zod parses without compiling a parser per schema, with the same results', () => {
    // Prepare
    const schema = z.object({
      region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/),
      bakeSeconds: z.number().min(0),
    });

    // Act
    const parsed = schema.parse({ region: 'eu-west-1', bakeSeconds: 600, extra: true });
    const failed = schema.safeParse({ region: 'Europe', bakeSeconds: -1 });

    // Assess
    expect(z.config().jitless).toBe(true);
    expect(parsed).toEqual({ region: 'eu-west-1', bakeSeconds: 600 });
    expect(failed.error?.issues.map((issue) => [issue.path.join('.'), issue.code])).toEqual([
      ['region', 'invalid_format'],
      ['bakeSeconds', 'too_small'],
    ]);
  });

  it('when the input does not parse, it fails with InvalidStepInput naming the path, logged as a warning', async () => {
    // Prepare
    const warned = jest.spyOn(logger, 'warn');
    const added = jest.spyOn(metrics, 'addMetric');
    const schema = z.object({ service: z.string() });
    const handler = lambdaStep('deploy-service', () => async (event: unknown) => schema.parse(event));

    // Act
    const error = await rejectionOf(handler({ service: 42 }, fakeLambdaContext('deploy-service')));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/^deploy-service received invalid input: service: /);
    expect(warned).toHaveBeenCalledWith('deploy-service failed: InvalidStepInput', expect.anything());
    expect(added).toHaveBeenCalledWith('deploy-service.InvalidStepInput', 'Count', 1);
  });

  it('when the step throws a domain error, it keeps its name; an unknown error is logged as an error', async () => {
    // Prepare
    const errors = jest.spyOn(logger, 'error');
    const domain = lambdaStep('deploy-service', () => async () => {
      throw new DeploymentFailedError('circuit breaker rolled back');
    });
    const bug = lambdaStep('deploy-service', () => async () => {
      throw new TypeError('x is undefined');
    });

    // Act
    const known = await rejectionOf(domain({}, fakeLambdaContext('deploy-service')));
    const unknown = await rejectionOf(bug({}, fakeLambdaContext('deploy-service')));

    // Assess
    expect(known.name).toBe('DeploymentFailed');
    expect(unknown).toBeInstanceOf(TypeError);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledWith('deploy-service failed: TypeError', {
      errorName: 'TypeError',
      errorMessage: 'x is undefined',
    });
  });

  it('when the event carries an execution and a stage, it adds them to the log keys', async () => {
    // Prepare
    const appended = jest.spyOn(logger, 'appendKeys');
    const handler = lambdaStep('run-smoke-checks', () => async () => 'ok');

    // Act
    await handler(EVENT, fakeLambdaContext('run-smoke-checks'));

    // Assess
    expect(appended).toHaveBeenCalledWith({
      executionName: EVENT.executionName,
      pipelineService: 'orders-api',
      version: 'sha-0123456',
      environment: 'ppe',
      region: 'eu-west-1',
    });
  });

  it('when the step is built, it is built once per container', async () => {
    // Prepare
    const init = jest.fn(() => async () => 'ok');
    const handler = lambdaStep('sweep-deployments', init);

    // Act
    await handler({}, fakeLambdaContext('sweep-deployments'));
    await handler({}, fakeLambdaContext('sweep-deployments'));

    // Assess
    expect(init).toHaveBeenCalledTimes(1);
  });

  it('when running outside Lambda (tests, local runtime), tracing is off and no segment is opened', async () => {
    // Prepare
    const tracer = await stepTracer();
    const getSegment = jest.spyOn(tracer, 'getSegment');
    const handler = lambdaStep('check-release', () => async () => 'ok');

    // Act
    await handler(EVENT, fakeLambdaContext('check-release'));

    // Assess
    expect(tracer.isTracingEnabled()).toBe(false);
    expect(getSegment).not.toHaveBeenCalled();
  });

  it('when tracing is on, it records the handler in a closed subsegment with the execution annotations', async () => {
    // Prepare
    const root = new Segment('check-release');
    const active = activeTracer(root);
    const handler = lambdaStep('check-release', () => async () => ({ taskToken: 'secret' }), {
      tracer: active,
    });

    // Act
    await handler(EVENT, fakeLambdaContext('check-release'));

    // Assess
    const handlerSegment = root.subsegments?.[0] as Recorded | undefined;
    expect(handlerSegment?.name).toMatch(/^## /);
    expect(handlerSegment?.isClosed()).toBe(true);
    expect(handlerSegment?.annotations).toMatchObject({
      step: 'check-release',
      executionName: EVENT.executionName,
      environment: 'ppe',
      region: 'eu-west-1',
    });
    // The response is not recorded: step results may carry task tokens.
    expect(JSON.stringify(handlerSegment?.metadata ?? {})).not.toContain('secret');
  });
});

describe('lambdaStep: the tracer is loaded for the invocations X-Ray samples only', () => {
  const TRACING_MODULE = '../../../shared/middleware/tracing';
  const saved = process.env._X_AMZN_TRACE_ID;

  afterEach(() => {
    if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = saved;
    jest.resetModules();
  });

  /** Runs one invocation per trace header with a fresh copy of lambda-step; counts the tracing module's loads. */
  async function tracingLoads(
    headers: (string | undefined)[],
  ): Promise<{ loads: number; results: string[] }> {
    let loads = 0;
    jest.doMock(TRACING_MODULE, () => {
      loads += 1;
      return jest.requireActual(TRACING_MODULE);
    });
    let step!: typeof import('../../../shared/middleware/lambda-step');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy, with the counting mock
      step = require('../../../shared/middleware/lambda-step') as typeof step;
    });
    const handler = step.lambdaStep('check-release', () => async () => 'ok');
    const results: string[] = [];
    for (const header of headers) {
      if (header === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = header;
      results.push(await handler(EVENT, fakeLambdaContext('check-release')));
    }
    return { loads, results };
  }

  it('when no invocation is sampled (no trace header, or Sampled=0), the step runs without loading the tracer', async () => {
    // Act
    const { loads, results } = await tracingLoads([
      undefined,
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=0',
    ]);

    // Assess
    expect(results).toEqual(['ok', 'ok']);
    expect(loads).toBe(0);
  });

  it('when a later invocation is sampled, that one loads the tracer, once', async () => {
    // Act
    const { loads, results } = await tracingLoads([
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=0',
      'Root=1-5759e988-bd862e3fe1be46a994272794;Parent=557abcec3ee5a048;Sampled=1',
      'Root=1-5759e988-bd862e3fe1be46a994272795;Parent=557abcec3ee5a049;Sampled=1',
    ]);

    // Assess
    expect(results).toEqual(['ok', 'ok', 'ok']);
    expect(loads).toBe(1);
  });
});
