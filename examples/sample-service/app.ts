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

/** An HTTP server answering with `respond`, for whatever `stateOf()` says runs now (undefined: no tasks). */
export function createSampleServer(stateOf: () => SampleServiceState | undefined): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const state = stateOf();
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const answer = state
      ? respond(path, state)
      : { status: 503, body: JSON.stringify({ message: 'no healthy tasks' }) };
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(request.method === 'HEAD' ? undefined : answer.body);
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8080);
  const state = { commit: process.env.PIPELINE_COMMIT, version: process.env.PIPELINE_VERSION };
  createSampleServer(() => state).listen(port, () =>
    console.log(`sample service on http://localhost:${port}`),
  );
}
