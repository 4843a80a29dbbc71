import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { methodOf } from '../http/request';
import { errorFields, logger, metrics } from './lambda-step';
import { loggerContext, metricsPublished } from './powertools';

/** What an HTTP route answers (API Gateway HTTP API, payload v2). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A route's answer and what it became (`published`, `invalid-link`…), for the outcome metric and the log. */
export type HttpAnswer<O extends string> = HttpResponse & { outcome: O };

export interface HttpRouteOptions<O extends string> {
  /** Headers every response carries whatever its status (content type, security headers); a route adds more. */
  headers: Readonly<Record<string, string>>;
  /** The answer to a bug (anything the route throws): fixed, with no detail. Its status is 500. */
  failure: { body: string; outcome: O; logMessage: string };
  /** Told what each request became. */
  onOutcome?: (outcome: O) => void;
  /** HEAD is served like GET: its answers, the failure's included, carry the headers only. */
  headLikeGet?: boolean;
}

export type HttpRoute = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResponse>;

/**
 * The HTTP stack every API Gateway route stacks the same way, beside the step stack of lambda-step.ts:
 *
 * 1. the event is copied (or `{}` when it is not an object), so nothing below changes the caller's event;
 * 2. header names are lower-cased (`@middy/http-header-normalizer`): routes read `content-type`, whatever
 *    the client sent;
 * 3. the route answers, the stack reports its outcome and adds the fixed headers to every response;
 * 4. anything the route throws is a bug: logged once by name and message, answered by `failure` with status
 *    500 (`@middy/http-error-handler`), never with a stack or the error's message.
 *
 * Client mistakes are answers, not errors: a route returns its 4xx, so a client can never cause a 500.
 * The result is the bare route (tests and the local runtime call it); {@link httpHandler} adds Lambda's.
 */
export function httpRoute<O extends string>(
  options: HttpRouteOptions<O>,
  route: (event: APIGatewayProxyEventV2) => Promise<HttpAnswer<O>>,
): HttpRoute {
  const stack = middy(async (event: APIGatewayProxyEventV2) => route(event))
    .use(copiedEvent())
    .use(httpHeaderNormalizer())
    .use(fixedHeaders(options.headers, options.headLikeGet === true))
    .use(outcomes(options))
    .use(httpErrorHandler({ logger: false, fallbackMessage: options.failure.body }))
    .use(bugsHidden(options.failure.logMessage));
  return (event, context) => stack(event, context ?? ({} as Context));
}

/**
 * The Lambda handler of an HTTP route: Powertools logger with the Lambda context and metrics around the
 * route that `init` builds with its adapters once per container, on the first request (importing a handler
 * never touches AWS or the environment). Counts `<name>.succeeded` per request, like the step stack.
 */
export function httpHandler(name: string, init: () => HttpRoute) {
  let route: HttpRoute | undefined;
  return middy(async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResponse> => {
    route ??= init();
    return route(event, context);
  })
    .use(loggerContext())
    .use(metricsPublished())
    .use({
      // A block, not an expression: a value returned from a middleware would replace the response.
      after: () => {
        metrics.addMetric(`${name}.succeeded`, 'Count', 1);
      },
      onError: (request) => {
        // Only a cold-start failure gets here (a missing variable): the route itself never throws.
        const fields = errorFields(request.error);
        logger.error(`${name} failed: ${fields.errorName}`, fields);
        metrics.addMetric(`${name}.${fields.errorName}`, 'Count', 1);
      },
    });
}

/** A shallow copy of the event, so that normalising headers never changes the caller's object. */
function copiedEvent(): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      const event: unknown = request.event;
      request.event = (
        typeof event === 'object' && event !== null ? { ...event } : {}
      ) as APIGatewayProxyEventV2;
    },
  };
}

/**
 * The fixed headers on every response; the route's own (`allow`, `retry-after`) are added in lower case.
 * With `headLikeGet`, a HEAD request's answer loses its body.
 */
function fixedHeaders(fixed: Readonly<Record<string, string>>, headLikeGet: boolean): MiddlewareObj {
  const apply = (request: { event: unknown; response: unknown }) => {
    const response = request.response as HttpResponse | undefined;
    if (!response) return;
    if (headLikeGet && methodOf(request.event as APIGatewayProxyEventV2) === 'HEAD') response.body = '';
    const headers: Record<string, string> = { ...fixed };
    for (const [name, value] of Object.entries(response.headers ?? {})) {
      const key = name.toLowerCase();
      // The content type is the route's kind of answer, not the error handler's guess from a body.
      if (!Object.hasOwn(fixed, key) && typeof value === 'string') headers[key] = value;
    }
    response.headers = headers;
  };
  return { after: apply, onError: apply };
}

/** Reports each request's outcome and keeps it out of the response. */
function outcomes<O extends string>(options: HttpRouteOptions<O>): MiddlewareObj {
  return {
    after: (request) => {
      const { outcome, ...response } = request.response as HttpAnswer<O>;
      options.onOutcome?.(outcome);
      request.response = response;
    },
    onError: (request) => {
      if (request.response !== undefined) options.onOutcome?.(options.failure.outcome);
    },
  };
}

/**
 * A thrown error is a bug: logged by name and message, then stripped to nothing but "failed", so the error
 * handler answers the fixed failure (it would expose the message of an error that carries a 4xx status).
 */
function bugsHidden(logMessage: string): MiddlewareObj {
  return {
    onError: (request) => {
      logger.error(logMessage, errorFields(request.error));
      request.error = new Error('the route failed');
    },
  };
}
