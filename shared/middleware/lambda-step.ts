import './zod-jitless';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ZodError } from 'zod';
import { InvalidStepInputError, PipelineError } from '../domain/errors';
import { MalformedEventError } from '../events/event-envelope.schema';
import { readRuntimeEnv } from '../config/runtime-env';
import { logger, loggerContext, metrics, metricsPublished, SERVICE_NAME } from './powertools';
import { parseTraceHeader, StepTracer, type TraceHeader } from './xray';

/**
 * One logger and one metrics sink for every function; POWERTOOLS_* variables tune them per environment.
 * Both are created on first use, so a function's load evaluates neither Powertools module.
 */
export { logger, metrics, SERVICE_NAME };
let moduleTracer: StepTracer | undefined;

/**
 * The tracer of every step (the function's tracing mode is Active in serverless.yml): a small X-Ray
 * recorder (./xray.ts) instead of Powertools Tracer and the X-Ray SDK, which cost a sampled first
 * invocation about 35 ms (docs/cold-start.md). It records only the invocations X-Ray samples.
 */
export function stepTracer(): StepTracer {
  return (moduleTracer ??= new StepTracer(SERVICE_NAME));
}

/**
 * The trace of this invocation when X-Ray records it: with active tracing, Lambda passes each invocation's
 * trace header with `Sampled=1` when it samples it. Otherwise (not sampled, no tracing, outside Lambda:
 * the local runtime and the tests) nothing is recorded and nothing is sent; nor when
 * POWERTOOLS_TRACE_ENABLED is `false`, the switch Powertools Tracer had (the local runtime sets it).
 */
function sampledTrace(): TraceHeader | undefined {
  const env = readRuntimeEnv(['_X_AMZN_TRACE_ID', 'POWERTOOLS_TRACE_ENABLED']);
  if (env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === 'false') return undefined;
  const header = parseTraceHeader(env._X_AMZN_TRACE_ID);
  return header?.sampled ? header : undefined;
}

export interface LambdaStepOptions {
  /** The tracer to record the sampled invocations with; {@link stepTracer} by default (tests pass their own). */
  tracer?: StepTracer;
}

/** An error's name and message for a log line (never its stack, never the error object itself). */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: typeof error, errorMessage: 'non-error thrown' };
}

export type StepFunction<E, R> = (event: E) => Promise<R>;

/**
 * Wraps a step in the middleware every function stacks the same way: an X-Ray subsegment for the handler
 * of a sampled invocation (cold start and service annotated; the response is not recorded, it may hold
 * task tokens), Powertools logger with the Lambda context, correlation keys (execution, service, version,
 * environment, region) taken from the event for the logs and as trace annotations, metrics, and error mapping. `init`
 * builds the step with its adapters once per container, on the first invocation, so importing a handler
 * never touches AWS or the environment.
 */
export function lambdaStep<E, R>(
  name: string,
  init: () => StepFunction<E, R>,
  options: LambdaStepOptions = {},
) {
  const tracer = () => options.tracer ?? stepTracer();
  let step: StepFunction<E, R> | undefined;
  return middy(async (event: E, _context: Context): Promise<R> => {
    step ??= init();
    return step(event);
  })
    .use(handlerTraced(name, tracer))
    .use(loggerContext())
    .use(metricsPublished())
    .use(correlationKeys(name, tracer))
    .use(errorMapping(name));
}

/**
 * A subsegment for the handler of each sampled invocation, named `## <handler>` and annotated with the cold
 * start (the container's first invocation, sampled or not) and the service as Powertools'
 * `captureLambdaHandler` did; the response is not recorded (it may hold task tokens), a failure is, as the
 * subsegment's fault and cause. Unsampled invocations record nothing.
 */
function handlerTraced(name: string, tracer: () => StepTracer): MiddlewareObj {
  let coldStart = true;
  return {
    before: () => {
      const trace = sampledTrace();
      const first = coldStart;
      coldStart = false;
      if (!trace) return;
      tracer().begin(trace, `## ${readRuntimeEnv(['_HANDLER'])._HANDLER ?? name}`, first);
    },
    after: () => tracer().end(),
    onError: (request) => tracer().end(request.error),
  };
}

/** Adds the keys an operator searches logs and traces by, when the event carries them. */
function correlationKeys(step: string, tracer: () => StepTracer): MiddlewareObj {
  return {
    before: (request) => {
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
      const traced = tracer().current;
      if (!traced) return;
      traced.annotate('step', step);
      for (const [key, value] of present) traced.annotate(key, value);
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
