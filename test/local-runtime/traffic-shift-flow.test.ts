import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { BLUE_TG, CANARY, GREEN_TG, pipelinePerTest, RULE, servingCommit } from '../support/shifting-ppe';
import { GOOD_COMMIT, ORDERS_PPE } from '../support/orders-api';

/**
 * Stages that shift traffic, through the real promote state machine on virtual time: the local ECS runs a
 * blue/green deployment and calls the pipeline's own hook (shiftTraffic) at PRE_PRODUCTION_TRAFFIC_SHIFT
 * and after each callBackDelay; real requests go through a real proxy to real blue and green sample
 * services, and the hook judges green on what the proxy measured.
 */

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const { pushGoodBuild } = pipelinePerTest();

describe('stages that shift traffic, through the promote state machine', () => {
  it('when a healthy build is pushed to a canary stage, green walks 5 → 25 → 50 → 100 on real traffic, each step judged and recorded', async () => {
    // Act
    const { execution, shift, pipeline: p } = await pushGoodBuild(CANARY);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(shift?.status).toBe('shifted');
    expect(shift?.records.map((r) => [r.percent, r.extension, r.outcome])).toEqual([
      [5, 0, 'pass'],
      [25, 0, 'pass'],
      [50, 0, 'pass'],
    ]);
    // Each window saw exactly the minute's requests, split by the step's weight.
    expect(shift?.records.map((r) => [r.green.requests, r.blue.requests, r.green.errors])).toEqual([
      [400, 7_600, 0],
      [500, 1_500, 0],
      [1_000, 1_000, 0],
    ]);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
    expect(servingCommit(p)).toBe(GOOD_COMMIT);
    expect(servingCommit(p, GREEN_TG)).toBe(GOOD_COMMIT);
    // Blue was kept for its bake time, then stopped: only green's target group has tasks.
    expect(p.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
    expect(p.loadBalancers.sent.get(RULE)).toBe(12_000);
  });

  it('when the build is three times slower, the canary catches it at 5%, switches back to blue and says so with the numbers', async () => {
    // Act
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(CANARY, {
      behaviours: { [GOOD_COMMIT.slice(0, 7)]: { latencyFactor: 3 } },
    });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(shift?.status).toBe('failed');
    expect(shift?.records.map((r) => [r.percent, r.outcome, r.green.requests, r.blue.requests])).toEqual([
      [5, 'fail', 400, 7_600],
    ]);
    expect(shift?.cause).toMatch(
      /^p95 \d+ ms vs baseline \d+ ms \(\d\.\d×\) at 5% after 1 min, 400 requests$/,
    );
    expect(execution.cause).toContain(`traffic shift failed: ${shift!.cause}`);
    expect(execution.cause).toMatch(
      /rolled back: service already runs orders-api:\d+ \(ECS's blue\/green rollback or an earlier attempt restored it\)\)/,
    );
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
    expect(servingCommit(p)).toBeUndefined(); // the bootstrap revision, as before the push
    expect(p.platform.servingIn(ORDERS_PPE, GREEN_TG)).toBeUndefined();
  });

  it('when the build fails 8% of its requests, the canary catches it at 5% and switches back to blue', async () => {
    // Act: errors are judged before latency and need no more than the minimum: 1,000 requests a minute
    // give green 50 at 5%, above this stage's minimum of 40.
    const {
      execution,
      shift,
      pipeline: p,
    } = await pushGoodBuild(CANARY.replace('minRequests: 300', 'minRequests: 40'), {
      behaviours: { [GOOD_COMMIT.slice(0, 7)]: { errorRate: 0.08 } },
      trafficPerMinute: 1_000,
    });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(shift?.records.map((r) => [r.percent, r.outcome, r.green.requests, r.blue.errors])).toEqual([
      [5, 'fail', 50, 0],
    ]);
    expect(shift?.cause).toMatch(/^errors \d+\.\d% vs baseline 0\.0% at 5% after 1 min, 50 requests$/);
    expect(execution.cause).toContain(`traffic shift failed: ${shift!.cause}`);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
    expect(servingCommit(p)).toBeUndefined();
  });

  it('when the stage is blue-green, green gets everything at once with no judged step, and blue is kept then stopped', async () => {
    // Act
    const { execution, shift, pipeline: p } = await pushGoodBuild('strategy: blue-green\nkeepBlueMinutes: 5');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(shift).toMatchObject({ status: 'shifted', records: [] });
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
    expect(servingCommit(p, GREEN_TG)).toBe(GOOD_COMMIT);
    expect(p.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
  });

  it('when the stage fails while blue is kept (its deployment wait times out in the bake time), it switches back to blue by stopping the deployment with rollback', async () => {
    // Act: ECS takes 20 minutes to start green, which then gets everything; blue is kept 30 minutes. The
    // stage waits 1 minute for ECS to start green, plus the hook's 15 and blue's 30: 46 minutes, which ends
    // 4 minutes before ECS would report the deployment complete (at 50).
    const { execution, pipeline: p } = await pushGoodBuild(
      'deploymentTimeoutMinutes: 1\nstrategy: blue-green\nkeepBlueMinutes: 30',
      { deploymentMs: 20 * 60_000 },
    );

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.cause).toMatch(
      /rolled back: switched traffic back to blue \(orders-api:\d+\), which still ran: stopped ECS deployment \d+ with ROLLBACK/,
    );
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
    expect(servingCommit(p)).toBeUndefined();
    expect(p.platform.servingIn(ORDERS_PPE, GREEN_TG)).toBeUndefined();
    expect(p.platform.blueGreenStage(ORDERS_PPE)).toBeUndefined();
  });

  it('when traffic is too low to judge, the step extends up to its bound and then fails, saying so', async () => {
    // Act: 100 requests a minute give green 5 a minute at 5%, far below 300 even with two extensions
    const { execution, shift, pipeline: p } = await pushGoodBuild(CANARY, { trafficPerMinute: 100 });

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(shift?.records.map((r) => [r.percent, r.extension, r.outcome, r.green.requests])).toEqual([
      [5, 0, 'inconclusive', 5],
      [5, 1, 'inconclusive', 10],
      [5, 2, 'inconclusive', 15],
    ]);
    expect(shift?.cause).toBe(
      'step 5% could not be judged after 2 extensions: too little traffic to judge: green served 15 requests, 300 needed (at 5% after 3 min, 15 requests)',
    );
    expect(execution.cause).toContain(shift!.cause);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
  });
});
