import * as z from 'zod';
import { DeploymentFailedError } from '../../../shared/domain/errors';
import { lambdaStep, logger, metrics, stepTracer } from '../../../shared/middleware/lambda-step';
import { StepTracer, type SubsegmentDocument } from '../../../shared/middleware/xray';
import { fakeLambdaContext, rejectionOf } from '../../support/fakes';

const EVENT = {
  executionName: 'push-orders-api-0123456789ab-abcdef012345',
  service: 'orders-api',
  version: 'sha-0123456',
  stage: { environment: 'ppe', region: 'eu-west-1' },
};

const SAMPLED = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1';
const NOT_SAMPLED = SAMPLED.replace('Sampled=1', 'Sampled=0');

/** A tracer whose documents are kept here instead of sent to an X-Ray daemon. */
function recordingTracer(): { tracer: StepTracer; sent: SubsegmentDocument[] } {
  const sent: SubsegmentDocument[] = [];
  return { tracer: new StepTracer('test', (doc) => sent.push(doc)), sent };
}

/** Runs `act` with these environment variables set (unset where undefined), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, act: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  };
  apply(vars);
  try {
    return await act();
  } finally {
    apply(saved);
  }
}

/**
 * Runs `act` as in Lambda with active tracing: `_X_AMZN_TRACE_ID` set to `header` (unset when undefined),
 * and POWERTOOLS_TRACE_ENABLED unset (the test setup loads the local runtime's environment, which sets it
 * to `false`).
 */
function withTraceHeader<T>(header: string | undefined, act: () => Promise<T>): Promise<T> {
  return withEnv({ _X_AMZN_TRACE_ID: header, POWERTOOLS_TRACE_ENABLED: undefined }, act);
}

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
    const begin = jest.spyOn(stepTracer(), 'begin');
    const handler = lambdaStep('check-release', () => async () => 'ok');

    // Act
    await withTraceHeader(undefined, () => handler(EVENT, fakeLambdaContext('check-release')));

    // Assess
    expect(begin).not.toHaveBeenCalled();
  });

  it('when X-Ray samples the invocation, it records the handler in a closed subsegment with the execution annotations', async () => {
    // Prepare
    const { tracer, sent } = recordingTracer();
    const handler = lambdaStep('check-release', () => async () => ({ taskToken: 'secret' }), { tracer });

    // Act
    await withTraceHeader(SAMPLED, () => handler(EVENT, fakeLambdaContext('check-release')));

    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]!.name).toMatch(/^## /);
    expect(sent[0]!.end_time).toBeGreaterThan(0);
    expect(sent[0]).toMatchObject({
      trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      parent_id: '557abcec3ee5a047',
      annotations: {
        ColdStart: true,
        Service: 'test',
        step: 'check-release',
        executionName: EVENT.executionName,
        environment: 'ppe',
        region: 'eu-west-1',
      },
    });
    expect(sent[0]!.fault).toBeUndefined();
    // The response is not recorded: step results may carry task tokens.
    expect(JSON.stringify(sent)).not.toContain('secret');
  });

  it('when a sampled invocation fails, its subsegment is a fault with the mapped error as its cause', async () => {
    // Prepare
    const { tracer, sent } = recordingTracer();
    const handler = lambdaStep(
      'check-release',
      () => async (event: unknown) => z.object({ a: z.string() }).parse(event),
      {
        tracer,
      },
    );

    // Act
    await withTraceHeader(SAMPLED, () => rejectionOf(handler(EVENT, fakeLambdaContext('check-release'))));

    // Assess
    expect(sent[0]).toMatchObject({
      fault: true,
      cause: {
        exceptions: [
          {
            type: 'InvalidStepInput',
            message: expect.stringContaining('check-release received invalid input'),
          },
        ],
      },
    });
  });

  it('when POWERTOOLS_TRACE_ENABLED is false, a sampled invocation is not recorded', async () => {
    // Prepare
    const { tracer, sent } = recordingTracer();
    const handler = lambdaStep('check-release', () => async () => 'ok', { tracer });

    // Act
    await withEnv({ _X_AMZN_TRACE_ID: SAMPLED, POWERTOOLS_TRACE_ENABLED: 'false' }, () =>
      handler(EVENT, fakeLambdaContext('check-release')),
    );

    // Assess
    expect(sent).toEqual([]);
  });

  it('when an invocation is not sampled, nothing is recorded; a later sampled one is not annotated as the cold start', async () => {
    // Prepare
    const { tracer, sent } = recordingTracer();
    const handler = lambdaStep('check-release', () => async () => 'ok', { tracer });
    const invoke = (header?: string) =>
      withTraceHeader(header, () => handler(EVENT, fakeLambdaContext('check-release')));

    // Act
    const results = [await invoke(undefined), await invoke(NOT_SAMPLED)];
    const unsampled = sent.length;
    results.push(await invoke(SAMPLED));

    // Assess
    expect(results).toEqual(['ok', 'ok', 'ok']);
    expect(unsampled).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.annotations).toMatchObject({ ColdStart: false });
  });
});
