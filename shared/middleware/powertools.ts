import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { onFirstUse } from '../on-first-use';

export const SERVICE_NAME = 'ecs-promotion-pipeline';

/**
 * Powertools Logger and Metrics, loaded on first use instead of at a function's load (docs/cold-start.md):
 * `require`, not `import`, inside the functions below, so the bundles evaluate those modules only when a
 * log line, a metric or the step stack's first invocation asks for them, as tsx and jest do too.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
const powertools = {
  logger: () => require('@aws-lambda-powertools/logger') as typeof import('@aws-lambda-powertools/logger'),
  loggerMiddleware: () =>
    require('@aws-lambda-powertools/logger/middleware') as typeof import('@aws-lambda-powertools/logger/middleware'),
  metrics: () => require('@aws-lambda-powertools/metrics') as typeof import('@aws-lambda-powertools/metrics'),
  metricsMiddleware: () =>
    require('@aws-lambda-powertools/metrics/middleware') as typeof import('@aws-lambda-powertools/metrics/middleware'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** One logger for every function, created on its first log line; POWERTOOLS_* variables tune it. */
export const logger: Logger = onFirstUse(
  () => new (powertools.logger().Logger)({ serviceName: SERVICE_NAME }),
);

/** One metrics sink for every function, created on the first metric or invocation. */
export const metrics: Metrics = onFirstUse(
  () => new (powertools.metrics().Metrics)({ namespace: 'EcsPromotionPipeline', serviceName: SERVICE_NAME }),
);

/** A middleware created on the first invocation, so a function's load does not build it. */
function onFirstInvocation(create: () => MiddlewareObj): MiddlewareObj {
  let middleware: MiddlewareObj | undefined;
  const created = () => (middleware ??= create());
  return {
    before: (request) => created().before?.(request),
    after: (request) => created().after?.(request),
    onError: (request) => created().onError?.(request),
  };
}

/** Powertools' `injectLambdaContext` for {@link logger}: the Lambda context in every line, keys reset per call. */
export function loggerContext(): MiddlewareObj {
  return onFirstInvocation(() =>
    powertools.loggerMiddleware().injectLambdaContext(logger, { resetKeys: true }),
  );
}

/** Powertools' `logMetrics` for {@link metrics}: what an invocation added is published when it ends. */
export function metricsPublished(): MiddlewareObj {
  return onFirstInvocation(() => powertools.metricsMiddleware().logMetrics(metrics));
}
