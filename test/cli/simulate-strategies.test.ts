/**
 * `pipeline simulate` on a config whose orders-api PPE is a canary: each deployment says its strategy, and a
 * shifting one its schedule (steps, pauses, the longest it can take) and its steps' standing, in the JSON
 * and in the text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { canaryConfigText } from '../support/shift-config';

const ROOT = join(__dirname, '..', '..');
const ev = (name: string) => join(ROOT, 'events', name);

let dir: string;
let config: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'simulate-strategies-'));
  config = join(dir, 'pipeline.config.yml');
  // One short judged step: a real shift in the local stack stays quick (1,600 requests a minute, 800 to green).
  writeFileSync(config, canaryConfigText('        canary: { steps: [50, 100], pauseMinutes: 1 }\n'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pipeline simulate with a canary stage', () => {
  it('when orders-api PPE is a canary and payments-api rolls, --json gives each deployment its strategy and the canary its schedule', async () => {
    // Act
    const { out, err } = await runCli(
      'simulate',
      '--event',
      ev('ecr-push-orders-api.json'),
      '--event',
      ev('ecr-push-payments-api.json'),
      '--config',
      config,
      '--json',
    );

    // Assess
    expect(err).toBe('');
    const report = JSON.parse(out) as {
      executions: { deployments: Record<string, unknown>[] }[];
    };
    const [orders, payments] = report.executions.map((e) => e.deployments[0]!);
    expect(payments).toMatchObject({ service: 'payments-api', strategy: 'rolling', outcome: 'deployed' });
    expect(payments).not.toHaveProperty('shift');
    expect(orders).toMatchObject({
      service: 'orders-api',
      environment: 'ppe',
      strategy: 'canary',
      shift: {
        maxExtensions: 3,
        // One step of a minute, judged once and extended at most 3 times: 4 minutes.
        longestShiftMs: 4 * 60_000,
        keepBlueMinutes: 15,
        thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 800 },
      },
    });
    const shift = orders!.shift as {
      status: string;
      steps: { percent: number; pauseMinutes: number; status: string; windows: { outcome: string }[] }[];
    };
    expect(shift.steps.map((s) => [s.percent, s.pauseMinutes])).toEqual([[50, 1]]);
    // Whatever the local run did, each step's standing agrees with the windows recorded for it.
    for (const step of shift.steps) {
      if (step.status === 'pending' || step.status === 'not reached') expect(step.windows).toEqual([]);
      if (step.status === 'passed') expect(step.windows.at(-1)?.outcome).toBe('pass');
    }
  }, 120_000);

  it('without --json, it prints the strategy of each deployment and the canary schedule under the deployments', async () => {
    // Act
    const { out } = await runCli('simulate', '--event', ev('ecr-push-orders-api.json'), '--config', config);

    // Assess
    expect(out).toMatch(/orders-api\s+ppe\s+eu-west-1\s+sha256:(3f7a9c){10}3f7a\s+[a-z ]+\s+canary/);
    expect(out).toContain(
      '  ppe/eu-west-1:\n    traffic: canary 50% 1 min → 100%; ' +
        'up to 3 extensions a step, at most 4 min; blue kept 15 min\n    shift: ',
    );
  }, 120_000);
});
