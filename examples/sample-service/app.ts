/**
 * A tiny service to deploy with the pipeline: it reports the commit and version the pipeline set on its
 * container (PIPELINE_COMMIT, PIPELINE_VERSION), which is what the `reportsDeployed` smoke check asserts.
 * The local runtime serves every environment and region of the sample services with it.
 *
 *   PIPELINE_COMMIT=abc1234 PIPELINE_VERSION=v1.4.0 PORT=8080 npx tsx examples/sample-service/app.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface SampleServiceState {
  commit?: string;
  version?: string;
  /** A broken build: the health check answers 503. */
  unhealthy?: boolean;
  /** A degraded build: this share (0–1) of its requests, other than the health check, answer 500. */
  errorRate?: number;
  /** A degraded build: its requests, other than the health check, take this many times longer. */
  latencyFactor?: number;
  /** The median work time of a request other than the health check, ms. Default WORK_MS. */
  workMs?: number;
  /** A build that hurts business: this share (0–1) of the checkouts that would succeed fail quietly (200). */
  kpiDrop?: number;
}

/**
 * The business metric the sample service reports (a business KPI the pipeline can judge green on): every
 * request other than the health check is a checkout attempt, which succeeds with this probability in a
 * healthy build. It is reported with the version it ran, as a service emits its CloudWatch metrics
 * (e.g. in the embedded metric format) with the version in a dimension.
 */
export const CHECKOUT_SUCCESS_RATE = 0.97;
export const BUSINESS_METRIC = { namespace: 'Orders', metricName: 'CheckoutSucceeded', dimension: 'Version' };

/**
 * The `x-business-metric` header: `<Namespace>/<MetricName>=<value>;<Dimension>=<value>…`, the local
 * stand-in for the metric the service would put to CloudWatch; the local load balancer files it (per
 * second of the stack's clock) and the local CloudWatch answers GetMetricData-like queries from it.
 */
export const BUSINESS_METRIC_HEADER = 'x-business-metric';

/** The header value for one checkout attempt; undefined without a version to put in the dimension. */
export function businessMetricHeader(state: SampleServiceState, succeeded: boolean): string | undefined {
  if (!state.version) return undefined;
  const { namespace, metricName, dimension } = BUSINESS_METRIC;
  return `${namespace}/${metricName}=${succeeded ? 1 : 0};${dimension}=${state.version}`;
}

/** The median time a request (other than the health check) spends working, ms: long enough to measure. */
export const WORK_MS = 20;

/** How long one request works: log-normal around its median (σ 0.25), times the build's latency factor. */
export function workMs(state: SampleServiceState, random: () => number = Math.random): number {
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return (state.workMs ?? WORK_MS) * Math.exp(0.25 * normal) * (state.latencyFactor ?? 1);
}

export interface SampleResponse {
  status: number;
  body: string;
}

/** What the service answers: `/health` with its identity, anything else an empty list. */
export function respond(path: string, state: SampleServiceState): SampleResponse {
  if (path === '/health') {
    if (state.unhealthy) return { status: 503, body: JSON.stringify({ status: 'unhealthy' }) };
    return {
      status: 200,
      body: JSON.stringify({ status: 'ok', commit: state.commit ?? null, version: state.version ?? null }),
    };
  }
  return { status: 200, body: JSON.stringify({ items: [] }) };
}

/**
 * An HTTP server answering with `respond`, for whatever `stateOf()` says runs now (undefined: no tasks).
 * Requests other than the health check work for a while (`workMs`) and, in a degraded build, fail at its
 * error rate: the health check stays fast and green, as a subtly broken release's does.
 */
export function createSampleServer(
  stateOf: () => SampleServiceState | undefined,
  /** Where the degraded build's failures and every request's work time come from (seeded in the local stack). */
  random: () => number = Math.random,
  /** Where the checkouts' outcomes come from: apart from `random`, so they do not move its sequence. */
  checkoutRandom: () => number = Math.random,
): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const state = stateOf();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const send = (answer: SampleResponse, headers: Record<string, string> = {}) => {
      response.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
      response.end(request.method === 'HEAD' ? undefined : answer.body);
    };
    if (!state) return send({ status: 503, body: JSON.stringify({ message: 'no healthy tasks' }) });
    if (path === '/health') return send(respond(path, state));
    const failing = random() < (state.errorRate ?? 0);
    const work = workMs(state, random);
    // The request's own work time, as services report it (Server-Timing): what it cost apart from any
    // queueing on the way in and out.
    const checkedOut =
      !failing && checkoutRandom() < CHECKOUT_SUCCESS_RATE * (1 - Math.min(1, state.kpiDrop ?? 0));
    const metric = businessMetricHeader(state, checkedOut);
    const timing = {
      'server-timing': `app;dur=${work.toFixed(3)}`,
      ...(metric !== undefined && { [BUSINESS_METRIC_HEADER]: metric }),
    };
    setTimeout(
      () =>
        send(
          failing
            ? { status: 500, body: JSON.stringify({ message: 'internal error' }) }
            : respond(path, state),
          timing,
        ),
      work,
    );
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8080);
  const state = { commit: process.env.PIPELINE_COMMIT, version: process.env.PIPELINE_VERSION };
  createSampleServer(() => state).listen(port, () =>
    console.log(`sample service on http://localhost:${port}`),
  );
}
