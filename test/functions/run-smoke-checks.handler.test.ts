import { createRunSmokeChecks } from '../../functions/run-smoke-checks/handler';
import type { HttpProbe } from '../../shared/ports/deployment';
import { invokeThroughMiddleware, rejectionOf } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';

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
