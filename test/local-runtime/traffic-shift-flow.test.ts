import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/use-cases/deploy-service';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

/**
 * Stages that shift traffic, through the real promote state machine on virtual time: the local ECS runs a
 * blue/green deployment and calls the pipeline's own hook (shiftTraffic) at PRE_PRODUCTION_TRAFFIC_SHIFT
 * and after each callBackDelay; real requests go through a real proxy to real blue and green sample
 * services, and the hook judges green on what the proxy measured.
 */

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const GOOD_COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const BLUE_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-a/73e2d6bc24d8a067';
const GREEN_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-b/2453ed029918f21f';
const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const STAGE_KEY = {
  executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
  environment: 'ppe',
  region: 'eu-west-1',
};
/**
 * 8,000 requests a minute: a 5% step of one minute gives green 400, and the 15-second steps at 25% and 50%
 * give it 500 and 1,000, each enough to tell a p95 twice blue's from blue's (traffic-statistics.ts).
 */
const TRAFFIC_PER_MINUTE = 8_000;

/** pipeline.config.yml with orders-api's PPE on a strategy that shifts traffic behind a load balancer. */
function shiftingConfig(settings: string) {
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8')
    .replace(
      /(  - name: orders-api\n(?:.*\n)*?      ppe:\n)/,
      `$1${settings
        .split('\n')
        .map((line) => `        ${line}`)
        .join('\n')}\n`,
    )
    .replace(
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',",
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',\n" +
        `              loadBalancer: { blueTargetGroupArn: '${BLUE_TG}', greenTargetGroupArn: '${GREEN_TG}', ` +
        `productionListenerRuleArn: '${RULE}', infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`,
    );
  return parseConfig(text, 'pipeline.config.yml (test: orders-api PPE shifts traffic)');
}

const CANARY = `strategy: canary
canary: { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] }
keepBlueMinutes: 2
judgement: { minRequests: 300, maxExtensions: 2 }`;

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

async function pushGoodBuild(settings: string, options: Partial<LocalPipelineOptions> = {}) {
  pipeline = await LocalPipeline.start({
    config: shiftingConfig(settings),
    trafficPerMinute: TRAFFIC_PER_MINUTE,
    ...options,
  });
  await pipeline.putEvent(event('ecr-push-orders-api.json'));
  await pipeline.settled();
  const { executions } = await pipeline.engine.listExecutions({});
  expect(executions).toHaveLength(1);
  const execution = await pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
  const shift = await pipeline.shiftLog.get(STAGE_KEY);
  return { execution, shift, pipeline };
}

function servingCommit(p: LocalPipeline, targetGroup?: string): string | undefined {
  const td = targetGroup ? p.platform.servingIn(ORDERS_PPE, targetGroup) : p.platform.serving(ORDERS_PPE);
  return td?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit];
}

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
