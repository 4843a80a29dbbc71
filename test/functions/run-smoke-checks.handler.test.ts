import { createRunSmokeChecks, createSmokeTestFunction } from '../../functions/run-smoke-checks/handler';
import type { HttpProbe } from '../../shared/ports/deployment';
import { invokeThroughMiddleware, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';
import { HEALTH_CHECK } from '../support/test-checks';

describe('run-smoke-checks handler', () => {
  const run = ppeStageRun();
  const input = JSON.parse(JSON.stringify(run)) as Record<string, unknown>;
  let requested: string[];
  let step: ReturnType<typeof createRunSmokeChecks>;

  beforeEach(() => {
    requested = [];
    const probe: HttpProbe = {
      async request({ url }) {
        requested.push(url);
        return { status: 200, body: JSON.stringify({ commit: run.commit, items: [] }), latencyMs: 20 };
      },
    };
    step = createRunSmokeChecks({ probe });
  });

  it('when the checks pass, it returns their results', async () => {
    // Prepare
    const event = input;

    // Act
    const results = await invokeThroughMiddleware('run-smoke-checks', step, event);

    // Assess
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ['health', true],
      ['orders-list', true],
    ]);
  });

  it('when the commit is not hexadecimal, the handler fails with InvalidStepInput naming the field', async () => {
    // Prepare
    const event = { ...input, commit: 'not-a-commit' };

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('run-smoke-checks', step, event));

    // Assess
    expect(error.name).toBe('InvalidStepInput');
    expect(error.message).toMatch(/^run-smoke-checks received invalid input: commit: /);
    expect(requested).toEqual([]);
  });
});

describe('run-smoke-checks handler asked for test checks by the traffic shift hook', () => {
  const endpoint = 'https://orders-api-test.eu-west-1.example.internal';
  const request = {
    request: 'test-checks',
    endpoint,
    checks: [HEALTH_CHECK],
  };
  let requested: string[];
  let step: ReturnType<typeof createSmokeTestFunction>;

  beforeEach(() => {
    requested = [];
    step = createSmokeTestFunction({
      probe: {
        async request({ url }) {
          requested.push(url);
          return { status: 503, body: 'no healthy tasks', latencyMs: 7 };
        },
      },
    });
  });

  it('when asked for test checks, it runs them against the endpoint and answers one result per check', async () => {
    // Act
    const answer = await invokeThroughMiddleware('run-smoke-checks', step, request);

    // Assess
    expect(requested).toEqual([`${endpoint}/health`]);
    expect(answer).toEqual({
      results: [
        {
          name: 'health',
          url: `${endpoint}/health`,
          passed: false,
          status: 503,
          latencyMs: 7,
          problem: 'expected status 200, got 503',
        },
      ],
    });
  });

  it('when the request is malformed, it fails with MalformedEvent naming the field, and requests nothing', async () => {
    // Prepare
    const { endpoint: _endpoint, ...withoutEndpoint } = request;

    // Act
    const error = await rejectionOf(invokeThroughMiddleware('run-smoke-checks', step, withoutEndpoint));

    // Assess
    expect(error.name).toBe('MalformedEvent');
    expect(error.message).toContain('malformed test check request: endpoint:');
    expect(requested).toEqual([]);
  });

  it('when given a stage run, it still runs the smoke checks (and fails them on 503)', async () => {
    // Act
    const error = await rejectionOf(
      invokeThroughMiddleware('run-smoke-checks', step, JSON.parse(JSON.stringify(ppeStageRun()))),
    );

    // Assess
    expect(error.name).toBe('SmokeTestFailed');
    expect(requested).toHaveLength(2);
  });
});
