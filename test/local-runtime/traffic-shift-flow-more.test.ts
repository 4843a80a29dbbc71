import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { loadEvent, sampleConfig } from '../support/fixtures';
import {
  BLUE_TG,
  CANARY,
  canaryOn,
  expectBackOnBlue,
  GREEN_TG,
  pipelinePerTest,
  RULE,
  servingCommit,
  shiftingConfig,
  SLOW,
  slowAfter,
  STAGE_KEY,
  stepRecords,
  TRAFFIC_PER_MINUTE,
} from '../support/shifting-ppe';
import { GOOD_COMMIT, ORDERS_PPE } from '../support/orders-api';

/**
 * More flows of the stages that shift traffic (issue #16), beside traffic-shift-flow.test.ts: a failure at a
 * later weight, a linear stage, a step that is inconclusive and then passes, a stage moved from rolling to
 * canary, and a redrive after a failed step. Same real promote state machine on virtual time, same real
 * requests through the local load balancer to real blue and green sample services.
 */

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const { start, close, pushGoodBuild, started } = pipelinePerTest();

/** A healthy build after GOOD_COMMIT (events/ecr-push-orders-api-slow.json; slow only when told). */
const NEXT_COMMIT = '5a1e7d0c0ffee5a1e7d0c0ffee5a1e7d0c0ffee5';

describe('more stages that shift traffic, through the promote state machine', () => {
  // The build answers as fast as blue until the load balancer has sent `healthyFor` requests, then three
  // times slower (slowAfter): the steps before pass, and the canary catches it at the step after.
  it.each([
    {
      failsAt: 25,
      healthyFor: 8_000,
      passed: [[5, 0, 'pass', 400, 7_600]],
      failed: [25, 0, 'fail', 500, 1_500],
    },
    {
      failsAt: 50,
      healthyFor: 10_000,
      passed: [
        [5, 0, 'pass', 400, 7_600],
        [25, 0, 'pass', 500, 1_500],
      ],
      failed: [50, 0, 'fail', 1_000, 1_000],
    },
  ])(
    'when the build slows down after $healthyFor requests, the canary passes the steps before and catches it at $failsAt%, switching back to blue',
    async ({ failsAt, healthyFor, passed, failed }) => {
      // Act
      const {
        execution,
        shift,
        pipeline: p,
      } = await pushGoodBuild(CANARY, {
        behaviours: slowAfter(healthyFor, () => started()?.loadBalancers.sent.get(RULE) ?? 0),
      });

      // Assess
      expect(execution.status).toBe('FAILED');
      expect(stepRecords(shift)).toEqual([...passed, failed]);
      expect(shift?.cause).toMatch(
        new RegExp(
          `^p95 \\d+ ms vs baseline \\d+ ms \\(\\d\\.\\d×\\) at ${failsAt}% after 15 s, ${failed[3]!.toLocaleString('en-US')} requests$`,
        ),
      );
      await expectBackOnBlue(p, execution, shift);
    },
  );

  it('when a slow build meets a canary whose first step is 25%, it fails at 25% and switches back to blue', async () => {
    // Act: one minute at 25% of 8,000 requests a minute gives green 2,000 and blue 6,000
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(canaryOn('steps: [25, 50, 100], pauseMinutes: 1'), { behaviours: SLOW });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(shift?.status).toBe('failed');
    expect(stepRecords(shift)).toEqual([[25, 0, 'fail', 2_000, 6_000]]);
    expect(shift?.cause).toMatch(
      /^p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 25% after 1 min, 2,000 requests$/,
    );
    await expectBackOnBlue(p, execution, shift);
  });

  it('when a slow build meets a canary whose first step is 50%, it fails at 50% and switches back to blue', async () => {
    // Act: 15 seconds at 50% of 8,000 requests a minute gives each side 1,000
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(canaryOn('steps: [50, 100], pauseMinutes: 0.25'), { behaviours: SLOW });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(stepRecords(shift)).toEqual([[50, 0, 'fail', 1_000, 1_000]]);
    expect(shift?.cause).toMatch(
      /^p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 50% after 15 s, 1,000 requests$/,
    );
    await expectBackOnBlue(p, execution, shift);
  });

  it('when a healthy build is pushed to a linear stage, green walks 25 → 50 → 75 → 100, each step judged and recorded', async () => {
    // Act: steps of 15 seconds, 2,000 requests each
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(
      'strategy: linear\nlinear: { stepPercent: 25, stepMinutes: 0.25 }\nkeepBlueMinutes: 1\njudgement: { minRequests: 300 }',
    );

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(shift?.status).toBe('shifted');
    expect(stepRecords(shift)).toEqual([
      [25, 0, 'pass', 500, 1_500],
      [50, 0, 'pass', 1_000, 1_000],
      [75, 0, 'pass', 1_500, 500],
    ]);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
    expect(servingCommit(p)).toBe(GOOD_COMMIT);
    expect(p.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
    expect(p.loadBalancers.sent.get(RULE)).toBe(6_000);
  });

  it('when the build fails 8% of its requests, a linear stage catches it at its first step, 25%, and switches back to blue', async () => {
    // Act: one minute at 25% of 1,000 requests a minute gives green 250 and blue 750
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(
      'strategy: linear\nlinear: { stepPercent: 25, stepMinutes: 1 }\nkeepBlueMinutes: 1\njudgement: { minRequests: 40 }',
      { behaviours: { [GOOD_COMMIT.slice(0, 7)]: { errorRate: 0.08 } }, trafficPerMinute: 1_000 },
    );

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(
      shift?.records.map((r) => [
        r.percent,
        r.extension,
        r.outcome,
        r.green.requests,
        r.blue.requests,
        r.blue.errors,
      ]),
    ).toEqual([[25, 0, 'fail', 250, 750, 0]]);
    expect(shift?.cause).toMatch(/^errors \d+\.\d% vs baseline 0\.0% at 25% after 1 min, 250 requests$/);
    await expectBackOnBlue(p, execution, shift);
  });

  it('when the first window has too little traffic, the step extends, and the longer window then passes it', async () => {
    // Act: 1,400 requests a minute at 50% give each side 700 in the first minute, below the minimum of
    // 1,000; the extension's window covers the whole step so far, 1,400 each: enough to tell a p95 twice
    // blue's from blue's (600 each would still be inconclusive, for noise), and green passes.
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(
      'strategy: canary\ncanary: { steps: [50, 100], pauseMinutes: 1 }\nkeepBlueMinutes: 1\njudgement: { minRequests: 1000, maxExtensions: 2 }',
      { trafficPerMinute: 1_400 },
    );

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(stepRecords(shift)).toEqual([
      [50, 0, 'inconclusive', 700, 700],
      [50, 1, 'pass', 1_400, 1_400],
    ]);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
    expect(servingCommit(p)).toBe(GOOD_COMMIT);
  });

  it('when a failed shift is redriven and the build is still slow, it shifts again from 5% and fails again, with a new record', async () => {
    // Prepare
    const {
      execution: failed,
      shift: first,
      pipeline: p,
    } = await pushGoodBuild(CANARY, { behaviours: SLOW });
    expect(failed.status).toBe('FAILED');
    const sentBefore = p.loadBalancers.sent.get(RULE);

    // Act
    await p.engine.redriveExecution({ executionArn: failed.executionArn });
    await p.settled();

    // Assess
    const redriven = await p.engine.describeExecution({ executionArn: failed.executionArn });
    expect(redriven).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    const second = await p.shiftLog.get(STAGE_KEY);
    expect(second?.status).toBe('failed');
    expect(stepRecords(second)).toEqual([[5, 0, 'fail', 400, 7_600]]);
    // A new window on new traffic, not the first attempt's record
    expect(second!.records[0]!.from).toBeGreaterThanOrEqual(first!.records[0]!.to);
    expect(p.loadBalancers.sent.get(RULE)).toBe(sentBefore! + 8_000);
    expect(second?.cause).toMatch(
      /^p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 5% after 1 min, 400 requests$/,
    );
    await expectBackOnBlue(p, redriven, second);
  });

  describe('when a stage moves from rolling to canary', () => {
    let dataDir: string;
    beforeEach(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'shift-flow-'));
    });
    afterEach(async () => {
      // The stack saves its state in the directory when it closes: close it before removing the directory.
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('the next push shifts traffic, from the revision the rolling update deployed as blue to the new build as green', async () => {
      // Prepare: the stack first runs on the plain config (orders-api's PPE rolls), then is restarted on the
      // same data directory with the stage on a canary, as an operator changing pipeline.config.yml does.
      const rolling = await LocalPipeline.start({
        config: sampleConfig(),
        trafficPerMinute: TRAFFIC_PER_MINUTE,
        dataDir,
      });
      await rolling.putEvent(loadEvent('ecr-push-orders-api.json'));
      await rolling.settled();
      const [rolled] = (await rolling.engine.listExecutions({})).executions;
      const rolledStatus = (await rolling.engine.describeExecution({ executionArn: rolled!.executionArn }))
        .status;
      const rolledShift = await rolling.shiftLog.get(STAGE_KEY);
      const rolledCommit = servingCommit(rolling);
      await rolling.close();

      // Act
      const pipeline = await start({
        config: shiftingConfig(CANARY),
        trafficPerMinute: TRAFFIC_PER_MINUTE,
        dataDir,
      });
      const blueBefore = servingCommit(pipeline);
      await pipeline.putEvent(loadEvent('ecr-push-orders-api-slow.json'));
      await pipeline.settled();

      // Assess
      expect(rolledStatus).toBe('SUCCEEDED');
      expect(rolledShift).toBeUndefined();
      expect(rolledCommit).toBe(GOOD_COMMIT);
      expect(blueBefore).toBe(GOOD_COMMIT);
      const { executions } = await pipeline.engine.listExecutions({});
      const next = executions.find((e) => e.name.includes(NEXT_COMMIT.slice(0, 12)));
      expect(next).toBeDefined();
      const execution = await pipeline.engine.describeExecution({ executionArn: next!.executionArn });
      expect(execution.status).toBe('SUCCEEDED');
      const shift = await pipeline.shiftLog.get({ ...STAGE_KEY, executionName: next!.name });
      expect(stepRecords(shift)).toEqual([
        [5, 0, 'pass', 400, 7_600],
        [25, 0, 'pass', 500, 1_500],
        [50, 0, 'pass', 1_000, 1_000],
      ]);
      expect(await pipeline.loadBalancers.greenPercentOf(RULE)).toBe(100);
      expect(servingCommit(pipeline, GREEN_TG)).toBe(NEXT_COMMIT);
      expect(pipeline.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
    });
  });
});
