import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalState } from '../../local-runtime/data-dir/local-state';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { loadEvent } from '../support/fixtures';
import { until } from '../support/polling';
import { GOOD_COMMIT, ORDERS_PPE } from '../support/orders-api';
import {
  BLUE_TG,
  CANARY,
  GREEN_TG,
  RULE,
  STAGE_KEY,
  TRAFFIC_PER_MINUTE,
  servingCommit,
  stepRecords,
  shiftingConfig,
  type TestListener,
} from '../support/shifting-ppe';

/**
 * A stage that shifts traffic keeps going across a restart of the local stack on its data directory: the
 * stack is closed (as Ctrl-C does) while the canary is at 25%, started again on the same directory, and the
 * ECS stand-in calls the hook again when it was due, with the hookDetails of its last call, on the load
 * balancer's restored weights and measurements. Real promote state machine, real requests through the
 * local load balancer to real blue and green sample services.
 */

jest.setTimeout(HANG_LIMIT_MS);

let dataDir: string;
let pipeline: LocalPipeline | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'shift-restart-'));
});
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

const TEST_RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/0c1d2e3f4a5b6c7d/8e9f0a1b2c3d4e5f';
const TEST_ENDPOINT = 'https://orders-api-test.ppe.eu-west-1.example.internal:8443';

/** When the test closes the first stack: as green gets a weight, or after green answered some requests. */
type RestartAt = { greenPercent: number } | { greenRequests: number };

/**
 * Pushes the build, closes the stack as Ctrl-C does at `at`, starts a new one on the same directory and
 * lets it finish: what was saved, and the stage as the second stack ended it. `rewrite` changes state.json
 * in between (to one an older version wrote).
 */
async function restartWhileShifting(
  settings: string,
  at: RestartAt,
  options: Partial<LocalPipelineOptions>,
  {
    testListener,
    rewrite,
  }: { testListener?: TestListener; rewrite?: (saved: LocalState) => LocalState } = {},
) {
  const config = shiftingConfig(settings, testListener);
  const first: { pipeline?: LocalPipeline } = {};
  let closing: Promise<void> | undefined;
  let greenRequests = 0;
  // The build's behaviour is read for each request green answers (and a few times besides): count them,
  // and close the stack from inside the traffic, which the closing stack lets finish before its last save.
  const counted = {
    get [GOOD_COMMIT.slice(0, 7)]() {
      if ('greenRequests' in at && ++greenRequests === at.greenRequests)
        closing = first.pipeline!.close({ abandon: true });
      return options.behaviours?.[GOOD_COMMIT.slice(0, 7)] ?? {};
    },
  };
  first.pipeline = await LocalPipeline.start({
    config,
    trafficPerMinute: TRAFFIC_PER_MINUTE,
    dataDir,
    ...options,
    behaviours: counted,
  });
  const started = first.pipeline;
  await started.putEvent(loadEvent('ecr-push-orders-api.json'));
  if ('greenPercent' in at) {
    await until(
      async () => (await started.loadBalancers.greenPercentOf(RULE)) === at.greenPercent,
      'the weight',
      5,
    );
    await started.close({ abandon: true });
  } else {
    await until(() => closing !== undefined, 'the requests', 5);
    await closing;
  }
  const saved = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as LocalState;
  if (rewrite) writeFileSync(join(dataDir, 'state.json'), JSON.stringify(rewrite(structuredClone(saved))));

  pipeline = await LocalPipeline.start({ config, trafficPerMinute: TRAFFIC_PER_MINUTE, dataDir, ...options });
  pipeline.resume();
  await pipeline.settled();
  const [only] = (await pipeline.engine.listExecutions({})).executions;
  const execution = await pipeline.engine.describeExecution({ executionArn: only!.executionArn });
  const shift = await pipeline.shiftLog.get(STAGE_KEY);
  return { saved, execution, shift, records: stepRecords(shift), pipeline };
}

/** Requests a saved load balancer measured per target group (since its weights last changed). */
function measured(saved: LocalState): Record<string, number> {
  return Object.fromEntries(
    (saved.loadBalancers?.[0]?.measurements ?? []).map(([group, seconds]) => [
      group,
      seconds.reduce((sum, [, requests]) => sum + requests, 0),
    ]),
  );
}

describe('a stage that shifts traffic, across a restart of the local stack', () => {
  it.each([
    {
      when: 'as the 25% step starts (its traffic still to send)',
      at: { greenPercent: 25 },
      trafficToSendMs: 15_000,
      measuredBefore: {},
    },
    {
      when: "in the middle of the 25% step's traffic",
      at: { greenRequests: 650 },
      trafficToSendMs: undefined,
      measuredBefore: { [GREEN_TG]: 500, [BLUE_TG]: 1_500 },
    },
  ])(
    'when the stack restarts $when, the canary goes on from there and records the same steps as without the restart',
    async ({ at, trafficToSendMs, measuredBefore }) => {
      // Act
      const { saved, execution, records, pipeline: p } = await restartWhileShifting(CANARY, at, {});

      // Assess: the state kept the deployment at the hook's stage and the load balancer at 25%
      expect(saved.platform.shifts).toEqual([
        expect.objectContaining({ stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', nextCallAt: expect.any(Number) }),
      ]);
      expect(saved.platform.shifts?.[0]?.trafficToSendMs).toBe(trafficToSendMs);
      expect(saved.loadBalancers).toEqual([
        expect.objectContaining({
          greenPercent: 25,
          targets: expect.objectContaining({ blueTargetGroup: BLUE_TG, greenTargetGroup: GREEN_TG }),
        }),
      ]);
      expect(measured(saved)).toEqual(expect.objectContaining(measuredBefore));
      // The same records as traffic-shift-flow-more.test.ts's canary without a restart.
      expect(execution.status).toBe('SUCCEEDED');
      expect(records).toEqual([
        [5, 0, 'pass', 400, 7_600],
        [25, 0, 'pass', 500, 1_500],
        [50, 0, 'pass', 1_000, 1_000],
      ]);
      expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
      expect(servingCommit(p, GREEN_TG)).toBe(GOOD_COMMIT);
      expect(p.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
      expect(p.platform.deploymentsInProgress).toBe(0);
    },
  );

  it.each([
    // The check before the restart is counted with the one after it
    { file: 'as this version writes it', rewrite: undefined, checksOnGreen: 2 },
    {
      file: 'as written before the test listener was kept',
      // Such a file has no test listener measurements: the check after the restart only
      checksOnGreen: 1,
      rewrite: (saved: LocalState): LocalState => ({
        ...saved,
        loadBalancers: saved.loadBalancers?.map(({ testListener: _testListener, ...lb }) => lb),
      }),
    },
  ])(
    "when the stack restarts during blue-green's test checks (state.json $file), the checks go on through the test listener to green",
    async ({ rewrite, checksOnGreen }) => {
      // Act: the first stack closes as green answers the first test check (its behaviour's second read)
      const {
        saved,
        execution,
        pipeline: p,
      } = await restartWhileShifting(
        'strategy: blue-green\nkeepBlueMinutes: 1\nblueGreen:\n  testChecks:\n    - { name: health, path: /health }',
        { greenRequests: 2 },
        {},
        { testListener: { ruleArn: TEST_RULE, endpoint: TEST_ENDPOINT }, ...(rewrite && { rewrite }) },
      );

      // Assess: saved at the test checks' stage with the test listener on green; after the restart the
      // checks reached green again, never blue
      expect(saved.platform.shifts).toEqual([
        expect.objectContaining({ stage: 'POST_TEST_TRAFFIC_SHIFT', testTraffic: true }),
      ]);
      expect(saved.loadBalancers?.[0]?.testListener).toMatchObject({ greenPercent: 100 });
      expect(execution.status).toBe('SUCCEEDED');
      const test = await p.loadBalancers.sampleTest(
        { ...saved.platform.shifts![0]!.targets },
        { from: 0, to: Number.MAX_SAFE_INTEGER },
      );
      expect([test.green.requests, test.blue.requests]).toEqual([checksOnGreen, 0]);
      expect(servingCommit(p, GREEN_TG)).toBe(GOOD_COMMIT);
    },
  );

  it('when the stack restarts during a step a slow build fails, the step fails with the same numbers and traffic goes back to blue', async () => {
    // Act: one minute at 25% of 8,000 requests a minute gives green 2,000 and blue 6,000
    const {
      execution,
      shift,
      records,
      pipeline: p,
    } = await restartWhileShifting(
      CANARY.replace(
        'steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25]',
        'steps: [25, 50, 100], pauseMinutes: 1',
      ),
      { greenPercent: 25 },
      { behaviours: { [GOOD_COMMIT.slice(0, 7)]: { latencyFactor: 3 } } },
    );

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(records).toEqual([[25, 0, 'fail', 2_000, 6_000]]);
    expect(execution.cause).toContain(`traffic shift failed: ${shift!.cause}`);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
    expect(servingCommit(p)).toBeUndefined();
    expect(p.platform.servingIn(ORDERS_PPE, GREEN_TG)).toBeUndefined();
  });
});
