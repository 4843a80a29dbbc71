import { SmokeTestFailedError } from '../../../shared/domain/errors';
import type { HttpProbe, HttpProbeResult } from '../../../shared/ports/deployment';
import { runSmokeChecks } from '../../../shared/use-cases/run-smoke-checks';
import { ppeStageRun } from '../../support/fixtures';

const run = ppeStageRun();
const HEALTH = 'https://orders-api.ppe.eu-west-1.example.internal/health';
const ORDERS = 'https://orders-api.ppe.eu-west-1.example.internal/orders';

/** A probe answering per URL; an Error answer rejects as a network failure would. */
function probeOf(answers: Record<string, HttpProbeResult | Error>) {
  const requests: Parameters<HttpProbe['request']>[0][] = [];
  const probe: HttpProbe = {
    async request(request) {
      requests.push(request);
      const answer = answers[request.url];
      if (answer === undefined) throw new Error(`getaddrinfo ENOTFOUND ${new URL(request.url).hostname}`);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { probe, requests };
}

const healthy = (overrides: Partial<HttpProbeResult> = {}): HttpProbeResult => ({
  status: 200,
  body: JSON.stringify({ status: 'ok', commit: run.commit, version: run.version }),
  latencyMs: 40,
  ...overrides,
});
const orders = (overrides: Partial<HttpProbeResult> = {}): HttpProbeResult => ({
  status: 200,
  body: '{"items":[]}',
  latencyMs: 60,
  ...overrides,
});

async function failureOf(promise: Promise<unknown>): Promise<SmokeTestFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SmokeTestFailedError))
    throw new Error(`expected SmokeTestFailed, got ${String(error)}`);
  return error;
}

describe('runSmokeChecks', () => {
  it('when every check passes, it returns each result, having probed each URL with its method and timeout', async () => {
    // Prepare
    const { probe, requests } = probeOf({ [HEALTH]: healthy(), [ORDERS]: orders() });

    // Act
    const results = await runSmokeChecks(run, { probe });

    // Assess
    expect(results).toEqual([
      { name: 'health', url: HEALTH, passed: true, status: 200, latencyMs: 40 },
      { name: 'orders-list', url: ORDERS, passed: true, status: 200, latencyMs: 60 },
    ]);
    expect(requests).toEqual([
      { url: HEALTH, method: 'GET', timeoutMs: 5000 },
      { url: ORDERS, method: 'GET', timeoutMs: 5000 },
    ]);
  });

  it.each([
    ['answers with the wrong status', healthy({ status: 503 }), 'expected status 200, got 503'],
    ['answers too slowly', healthy({ latencyMs: 1500 }), 'took 1500 ms, more than the 1000 ms allowed'],
    [
      'reports another commit',
      healthy({ body: JSON.stringify({ commit: 'deadbeefdeadbeef' }) }),
      `reports commit="deadbeefdeadbeef", expected "${run.commit}" (old tasks still serving?)`,
    ],
    ['does not answer JSON', healthy({ body: 'OK' }), 'body is not JSON, so field "commit" cannot be read'],
    [
      'cannot be reached',
      new Error('connect ECONNREFUSED 10.0.0.7:443'),
      'request failed: connect ECONNREFUSED 10.0.0.7:443',
    ],
  ])(
    'when the health check %s, it throws SmokeTestFailed naming the check, URL and problem',
    async (_what, answer, problem) => {
      // Prepare
      const { probe } = probeOf({ [HEALTH]: answer, [ORDERS]: orders() });

      // Act
      const error = await failureOf(runSmokeChecks(run, { probe }));

      // Assess
      expect(error.name).toBe('SmokeTestFailed');
      expect(error.message).toBe(
        `1 of 2 smoke checks failed in ppe/eu-west-1: health (${HEALTH}): ${problem}`,
      );
    },
  );

  it('when the body lacks the expected text, it fails the check that expects it', async () => {
    // Prepare
    const { probe } = probeOf({ [HEALTH]: healthy(), [ORDERS]: orders({ body: '{"orders":[]}' }) });

    // Act
    const error = await failureOf(runSmokeChecks(run, { probe }));

    // Assess
    expect(error.message).toBe(
      `1 of 2 smoke checks failed in ppe/eu-west-1: orders-list (${ORDERS}): body does not contain "\\"items\\""`,
    );
  });

  it('when several checks fail, it runs them all and lists every failure with its URL', async () => {
    // Prepare
    const { probe, requests } = probeOf({
      [HEALTH]: new Error('getaddrinfo ENOTFOUND orders-api.ppe.eu-west-1.example.internal'),
      [ORDERS]: orders({ status: 500, body: 'Internal Server Error' }),
    });

    // Act
    const error = await failureOf(runSmokeChecks(run, { probe }));

    // Assess
    expect(requests.map((r) => r.url)).toEqual([HEALTH, ORDERS]);
    expect(error.message).toBe(
      '2 of 2 smoke checks failed in ppe/eu-west-1: ' +
        `health (${HEALTH}): request failed: getaddrinfo ENOTFOUND orders-api.ppe.eu-west-1.example.internal; ` +
        `orders-list (${ORDERS}): expected status 200, got 500`,
    );
  });

  it('when the stage has no smoke checks, it passes without probing anything', async () => {
    // Prepare
    const { probe, requests } = probeOf({});

    // Act
    const results = await runSmokeChecks({ ...run, stage: { ...run.stage, smoke: [] } }, { probe });

    // Assess
    expect(results).toEqual([]);
    expect(requests).toEqual([]);
  });
});
