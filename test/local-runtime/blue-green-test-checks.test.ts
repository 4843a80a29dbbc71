import type { TrafficTargets } from '../../shared/ports/traffic';
import type { LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { GOOD_COMMIT as COMMIT, ORDERS_PPE } from '../support/orders-api';
import { loadEvent } from '../support/fixtures';
import {
  BLUE_TG,
  GREEN_TG,
  RULE,
  STAGE_KEY,
  pipelinePerTest,
  servingCommit,
  shiftingConfig,
} from '../support/shifting-ppe';

/**
 * Blue-green's test checks through the real promote state machine on virtual time: the local ECS runs a
 * blue/green deployment, sends the test listener's traffic to green (TEST_TRAFFIC_SHIFT) and calls the
 * pipeline's own hook at POST_TEST_TRAFFIC_SHIFT, which checks green with real requests through the local
 * load balancer's test listener before any production request can reach it.
 */

jest.setTimeout(HANG_LIMIT_MS);

const TEST_RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/0c1d2e3f4a5b6c7d/8e9f0a1b2c3d4e5f';
const TEST_ENDPOINT = 'https://orders-api-test.ppe.eu-west-1.example.internal:8443';
const TARGETS: TrafficTargets = {
  region: 'eu-west-1',
  loadBalancer:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders-ppe/50dc6c495c0c9188',
  listenerRule: RULE,
  blueTargetGroup: BLUE_TG,
  greenTargetGroup: GREEN_TG,
};
const EVER = { from: 0, to: Number.MAX_SAFE_INTEGER };
const BLUE_GREEN = `strategy: blue-green
keepBlueMinutes: 2
blueGreen:
  testChecks:
    - { name: health, path: /health }
    - { name: orders, path: /orders, bodyContains: items }`;

const pipelines = pipelinePerTest();

/** Pushes the build to orders-api's PPE blue-green behind a load balancer with a test listener. */
async function pushBuild(options: Partial<LocalPipelineOptions> = {}) {
  const config = shiftingConfig(BLUE_GREEN, { ruleArn: TEST_RULE, endpoint: TEST_ENDPOINT });
  const { execution, shift, pipeline } = await pipelines.pushGoodBuild(config, {
    trafficPerMinute: 600,
    ...options,
  });
  return { execution, shift, p: pipeline };
}

describe('blue-green test checks through the test listener, in the local stack', () => {
  it('when green passes its test checks, it then gets all production traffic, and only the checks reached it through the test listener', async () => {
    // Act
    const { execution, shift, p } = await pushBuild();

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(shift).toMatchObject({ status: 'shifted', records: [] });
    // The two checks went through the test listener to green, none to blue.
    const test = await p.loadBalancers.sampleTest(TARGETS, EVER);
    expect([test.green.requests, test.green.errors, test.blue.requests]).toEqual([2, 0, 0]);
    // Without a smokeTestVpc the hook sent them itself: the smoke-test function ran the smoke checks only.
    expect(p.lambdas.invocations.filter((i) => i.functionName === 'runSmokeChecks')).toHaveLength(1);
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(100);
    expect(servingCommit(p, GREEN_TG)).toBe(COMMIT);
    expect(p.platform.servingIn(ORDERS_PPE, BLUE_TG)).toBeUndefined();
  });

  it('when the build fails the test checks, ECS rolls back before any production request reached green, and the stage fails with the check as its cause', async () => {
    // Act: the build answers 500 to everything but its health check (--break <commit>=errors:100%)
    const { execution, shift, p } = await pushBuild({
      behaviours: { [COMMIT.slice(0, 7)]: { errorRate: 1 } },
    });

    // Assess
    expect(execution.status).toBe('FAILED');
    const cause = `test check 'orders' GET ${TEST_ENDPOINT}/orders: 500, expected 200`;
    expect(shift).toMatchObject({ status: 'failed', cause, records: [] });
    expect(execution.cause).toContain('lifecycle hook at POST_TEST_TRAFFIC_SHIFT returned FAILED');
    expect(execution.cause).toContain(`traffic shift failed: ${cause}`);
    // The checks reached green through the test listener; production never sent it a request.
    const test = await p.loadBalancers.sampleTest(TARGETS, EVER);
    expect([test.green.requests, test.green.errors]).toEqual([2, 1]);
    const production = await p.loadBalancers.sample(TARGETS, EVER);
    expect(production.green.requests).toBe(0);
    // Back to blue on both listeners, green stopped, the bootstrap revision serving as before the push.
    expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
    const users = await p.loadBalancers.send(RULE, 50);
    expect(users.statuses).toEqual({ 200: 50 });
    expect((await p.loadBalancers.sample(TARGETS, EVER)).green.requests).toBe(0);
    expect(servingCommit(p)).toBeUndefined();
    expect(p.platform.servingIn(ORDERS_PPE, GREEN_TG)).toBeUndefined();
    expect(p.platform.blueGreenStage(ORDERS_PPE)).toBeUndefined();
  });
});

describe('blue-green test checks through the smoke-test function (a smokeTestVpc for the region), in the local stack', () => {
  /** The configuration with the smoke-test function in a VPC of the pipeline's region, as for a private test listener. */
  const inVpc = () => ({
    ...shiftingConfig(BLUE_GREEN, { ruleArn: TEST_RULE, endpoint: TEST_ENDPOINT }),
    smokeTestVpc: { 'eu-west-1': { subnetIds: ['subnet-11112222'], securityGroupIds: ['sg-33334444'] } },
  });

  it('when the region has a smokeTestVpc, the hook asks the local smoke-test function, which runs the checks through the test listener', async () => {
    // Act
    const {
      execution,
      shift,
      pipeline: p,
    } = await pipelines.pushGoodBuild(inVpc(), {
      trafficPerMinute: 600,
    });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(shift).toMatchObject({ status: 'shifted', records: [] });
    // The smoke-test function ran once during the ECS deployment (the hook's test checks), and once after
    // it (the stage's smoke checks).
    const names = p.lambdas.invocations.map((i) => i.functionName);
    expect(names.slice(names.indexOf('awaitDeployment'), names.indexOf('settleDeployment') + 1)).toEqual([
      'awaitDeployment',
      'runSmokeChecks',
      'settleDeployment',
    ]);
    expect(names.filter((name) => name === 'runSmokeChecks')).toHaveLength(2);
    const test = await p.loadBalancers.sampleTest(TARGETS, EVER);
    expect([test.green.requests, test.green.errors, test.blue.requests]).toEqual([2, 0, 0]);
  });

  it('when Lambda throttles the smoke-test function once, the hook calls again and green passes', async () => {
    // Prepare
    const p = await pipelines.start({ config: inVpc(), trafficPerMinute: 600 });
    p.lambdas.failNext('runSmokeChecks', 1);

    // Act
    await p.putEvent(loadEvent('ecr-push-orders-api.json'));
    await p.settled();

    // Assess
    const { executions } = await p.engine.listExecutions({});
    const execution = await p.engine.describeExecution({ executionArn: executions[0]!.executionArn });
    expect(execution.status).toBe('SUCCEEDED');
    expect(await p.shiftLog.get(STAGE_KEY)).toMatchObject({ status: 'shifted' });
    // The hook's first invocation was throttled, its second answered; then the stage's smoke checks.
    const calls = p.lambdas.invocations.filter((i) => i.functionName === 'runSmokeChecks');
    expect(calls.map((c) => c.errorName)).toEqual(['Lambda.TooManyRequestsException', undefined, undefined]);
    // Green was checked once, by the second call.
    const test = await p.loadBalancers.sampleTest(TARGETS, EVER);
    expect([test.green.requests, test.green.errors]).toEqual([2, 0]);
  });
});
