import './zod-jitless';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ZodError } from 'zod';
import { InvalidStepInputError, PipelineError } from '../domain/errors';
import { MalformedEventError } from '../events/event-envelope.schema';
import { readRuntimeEnv } from '../config/runtime-env';
import { logger, loggerContext, metrics, metricsPublished, SERVICE_NAME } from './powertools';

/**
 * One logger and one metrics sink for every function; POWERTOOLS_* variables tune them per environment.
 * Both are created on first use, so a function's load evaluates neither Powertools module.
 */
export { logger, metrics, SERVICE_NAME };
let moduleTracer: Promise<Tracer> | undefined;

/**
 * The tracing module, loaded on first use. `require`, not `import()`: the CLI runs the sources through
 * tsx's CommonJS hook, where a dynamic import of a .ts file does not resolve; the function bundles turn
 * the require into `require("./tracing.js")`, a file beside the handler (scripts/build-functions.ts).
 */
async function loadTracing(): Promise<typeof import('./tracing')> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  return require('./tracing') as typeof import('./tracing');
}

/**
 * The tracer of every step: X-Ray tracing (the function's tracing mode is Active in serverless.yml).
 * Powertools turns it off outside a Lambda execution environment and when POWERTOOLS_TRACE_ENABLED is
 * `false`, which the local runtime and the tests set: then it neither patches HTTP nor sends anything to an
 * X-Ray daemon. Created on the first call, which the step stack makes on a step's first invocation: loading
 * Tracer (and the X-Ray SDK under it) is kept off the function's load (docs/cold-start.md).
 */
export function stepTracer(): Promise<Tracer> {
  moduleTracer ??= loadTracing().then(({ Tracer }) => new Tracer({ serviceName: SERVICE_NAME }));
  return moduleTracer;
}

/**
 * Whether X-Ray records this invocation: with active tracing, Lambda passes each invocation's trace header
 * with `Sampled=1` when it samples it. Otherwise (not sampled, no tracing, outside Lambda) the tracer would
 * record nothing, so the step neither loads it (about 30 ms of a first invocation) nor opens a subsegment.
 */
function invocationSampled(): boolean {
  const header = readRuntimeEnv(['_X_AMZN_TRACE_ID'])._X_AMZN_TRACE_ID;
  return header?.split(';').includes('Sampled=1') ?? false;
}

/** The tracer of this invocation: {@link stepTracer} when X-Ray samples it, none otherwise. */
function sampledTracer(): Promise<Tracer | undefined> {
  return invocationSampled() ? stepTracer() : Promise.resolve(undefined);
}

export interface LambdaStepOptions {
  /**
   * The tracer to record every invocation with; by default {@link stepTracer}, for the invocations X-Ray
   * samples only (tests pass one of their own).
   */
  tracer?: Tracer;
}

/** An error's name and message for a log line (never its stack, never the error object itself). */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: typeof error, errorMessage: 'non-error thrown' };
}

export type StepFunction<E, R> = (event: E) => Promise<R>;

/**
 * Wraps a step in the middleware every function stacks the same way: a Powertools tracer subsegment for
 * the handler (cold start and service annotated; the response is not recorded, it may hold task tokens),
 * Powertools logger with the Lambda context, correlation keys (execution, service, version, environment,
 * region) taken from the event for the logs and as trace annotations, metrics, and error mapping. `init`
 * builds the step with its adapters once per container, on the first invocation, so importing a handler
 * never touches AWS or the environment.
 */
export function lambdaStep<E, R>(
  name: string,
  init: () => StepFunction<E, R>,
  options: LambdaStepOptions = {},
) {
  const tracer = options.tracer ? () => Promise.resolve(options.tracer) : sampledTracer;
  let step: StepFunction<E, R> | undefined;
  return middy(async (event: E, _context: Context): Promise<R> => {
    step ??= init();
    return step(event);
  })
    .use(handlerTraced(tracer))
    .use(loggerContext())
    .use(metricsPublished())
    .use(correlationKeys(name, tracer))
    .use(errorMapping(name));
}

/**
 * Powertools' `captureLambdaHandler` (a subsegment for the handler, cold start and service annotated, the
 * response not recorded: it may hold task tokens), created on the first traced invocation with the tracer;
 * an invocation without a tracer (not sampled) runs without it.
 */
function handlerTraced(tracer: () => Promise<Tracer | undefined>): MiddlewareObj {
  let capture: Promise<MiddlewareObj> | undefined;
  const traced = new WeakMap<object, MiddlewareObj>();
  return {
    before: async (request) => {
      const target = await tracer();
      if (!target) return;
      capture ??= loadTracing().then(({ captureLambdaHandler }) =>
        captureLambdaHandler(target, { captureResponse: false }),
      );
      const middleware = await capture;
      traced.set(request, middleware);
      return middleware.before?.(request);
    },
    after: async (request) => traced.get(request)?.after?.(request),
    onError: async (request) => traced.get(request)?.onError?.(request),
  };
}

/** Adds the keys an operator searches logs and traces by, when the event carries them. */
function correlationKeys(step: string, tracer: () => Promise<Tracer | undefined>): MiddlewareObj {
  return {
    before: async (request) => {
      const stepTracer = await tracer();
      const event = (request.event ?? {}) as Record<string, unknown>;
      const stage = (event.stage ?? {}) as Record<string, unknown>;
      const keys = {
        executionName: event.executionName,
        pipelineService: event.service,
        version: event.version,
        environment: stage.environment,
        region: stage.region,
      };
      const present = Object.entries(keys).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      );
      logger.appendKeys(Object.fromEntries(present));
      // Annotations are indexed by X-Ray: "every trace of this execution" is one filter expression.
      if (!stepTracer) return;
      stepTracer.putAnnotation('step', step);
      for (const [key, value] of present) stepTracer.putAnnotation(key, value);
    },
  };
}

/**
 * Logs every failure once, with its stable name, and turns validation errors into InvalidStepInput so a
 * state machine never retries input that cannot become valid. Task tokens never reach the log: events are
 * not logged, and errors carry their own messages only. Runs first on the way out (middy unwinds in
 * reverse order), so logMetrics publishes what it adds.
 */
function errorMapping(step: string): MiddlewareObj {
  return {
    // Every invocation publishes one outcome metric: `<step>.succeeded` or `<step>.<ErrorName>`.
    after: () => {
      metrics.addMetric(`${step}.succeeded`, 'Count', 1);
    },
    onError: (request) => {
      const error = request.error;
      if (error instanceof ZodError) {
        const detail = error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
        request.error = new InvalidStepInputError(`${step} received invalid input: ${detail}`);
      }
      const mapped = request.error as Error;
      const known = mapped instanceof PipelineError || mapped instanceof MalformedEventError;
      logger[known ? 'warn' : 'error'](`${step} failed: ${mapped.name}`, {
        errorName: mapped.name,
        errorMessage: mapped.message,
      });
      metrics.addMetric(`${step}.${mapped.name}`, 'Count', 1);
    },
  };
}
