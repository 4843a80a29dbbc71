import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import type { TrafficTargets } from '../../shared/ports/traffic';
import { DEPLOYED_ENV } from '../../shared/use-cases/deploy-service';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

/**
 * Blue-green's test checks through the real promote state machine on virtual time: the local ECS runs a
 * blue/green deployment, sends the test listener's traffic to green (TEST_TRAFFIC_SHIFT) and calls the
 * pipeline's own hook at POST_TEST_TRAFFIC_SHIFT, which checks green with real requests through the local
 * load balancer's test listener before any production request can reach it.
 */

jest.setTimeout(HANG_LIMIT_MS);

const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const BLUE_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-a/73e2d6bc24d8a067';
const GREEN_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-b/2453ed029918f21f';
const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
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
const STAGE_KEY = {
  executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
  environment: 'ppe',
  region: 'eu-west-1',
};

/** pipeline.config.yml with orders-api's PPE blue-green behind a load balancer with a test listener. */
function blueGreenConfig() {
  const settings = [
    'strategy: blue-green',
    'keepBlueMinutes: 2',
    'blueGreen:',
    '  testChecks:',
    '    - { name: health, path: /health }',
    '    - { name: orders, path: /orders, bodyContains: items }',
  ];
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8')
    .replace(
      /(  - name: orders-api\n(?:.*\n)*?      ppe:\n)/,
      `$1${settings.map((line) => `        ${line}`).join('\n')}\n`,
    )
    .replace(
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',",
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',\n" +
        `              loadBalancer: { blueTargetGroupArn: '${BLUE_TG}', greenTargetGroupArn: '${GREEN_TG}', ` +
        `productionListenerRuleArn: '${RULE}', testListenerRuleArn: '${TEST_RULE}', testEndpoint: '${TEST_ENDPOINT}', ` +
        `infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`,
    );
  return parseConfig(text, 'pipeline.config.yml (test: orders-api PPE blue-green with test checks)');
}

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

async function pushBuild(options: Partial<LocalPipelineOptions> = {}) {
  pipeline = await LocalPipeline.start({ config: blueGreenConfig(), trafficPerMinute: 600, ...options });
  await pipeline.putEvent(event('ecr-push-orders-api.json'));
  await pipeline.settled();
  const { executions } = await pipeline.engine.listExecutions({});
  expect(executions).toHaveLength(1);
  const execution = await pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
  return { execution, shift: await pipeline.shiftLog.get(STAGE_KEY), p: pipeline };
}

function servingCommit(p: LocalPipeline, targetGroup?: string): string | undefined {
  const td = targetGroup ? p.platform.servingIn(ORDERS_PPE, targetGroup) : p.platform.serving(ORDERS_PPE);
  return td?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit];
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
