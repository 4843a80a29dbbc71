/**
 * The flows of a stage that shifts traffic, through the real promote state machine on virtual time: the
 * sample configuration with orders-api's PPE behind one local load balancer on the strategy a test gives,
 * and the local pipeline that a test starts on it and that is closed after the test.
 */
import { parseConfig } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import {
  LocalPipeline,
  type LocalPipelineOptions,
  type VersionBehaviour,
} from '../../local-runtime/local-pipeline';
import type { ShiftProgress } from '../../shared/domain/traffic-shift';
import { loadEvent, sampleConfigText } from './fixtures';
import { GOOD_COMMIT, ORDERS_PPE } from './orders-api';

export const BLUE_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-a/73e2d6bc24d8a067';
export const GREEN_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-b/2453ed029918f21f';
export const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
/** The PPE stage of the push of events/ecr-push-orders-api.json, as the traffic shift log keys it. */
export const STAGE_KEY = {
  executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
  environment: 'ppe',
  region: 'eu-west-1',
};
/**
 * 8,000 requests a minute: a 5% step of one minute gives green 400, and the 15-second steps at 25% and 50%
 * give it 500 and 1,000, each enough to tell a p95 twice blue's from blue's (traffic-statistics.ts).
 */
export const TRAFFIC_PER_MINUTE = 8_000;

export const CANARY = `strategy: canary
canary: { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] }
keepBlueMinutes: 2
judgement: { minRequests: 300, maxExtensions: 2 }`;

/** CANARY on another schedule, e.g. `steps: [25, 50, 100], pauseMinutes: 1`. */
export function canaryOn(schedule: string): string {
  return CANARY.replace('steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25]', schedule);
}

/** The good build three times slower than blue (`--break <commit>=latency:3x`). */
export const SLOW = { [GOOD_COMMIT.slice(0, 7)]: { latencyFactor: 3 } };

/**
 * The good build as fast as blue until the load balancer has sent `healthyFor` requests (`sent()`), then
 * three times slower: the behaviour is read for every batch of requests the load balancer sends.
 */
export function slowAfter(healthyFor: number, sent: () => number): Record<string, VersionBehaviour> {
  return {
    get [GOOD_COMMIT.slice(0, 7)]() {
      return sent() >= healthyFor ? SLOW[GOOD_COMMIT.slice(0, 7)]! : {};
    },
  };
}

/** A shift's recorded steps as [percent, extension, outcome, green requests, blue requests]. */
export function stepRecords(shift: ShiftProgress | undefined) {
  return shift?.records.map((r) => [r.percent, r.extension, r.outcome, r.green.requests, r.blue.requests]);
}

/**
 * What a failed shift leaves: the execution failed with the shift's cause, green has no traffic and no
 * longer serves, blue (the bootstrap revision) serves as before the push.
 */
export async function expectBackOnBlue(
  p: LocalPipeline,
  execution: { cause?: string },
  shift: ShiftProgress | undefined,
): Promise<void> {
  expect(execution.cause).toContain(`traffic shift failed: ${shift!.cause}`);
  expect(await p.loadBalancers.greenPercentOf(RULE)).toBe(0);
  expect(servingCommit(p)).toBeUndefined();
  expect(p.platform.servingIn(ORDERS_PPE, GREEN_TG)).toBeUndefined();
}

/** A load balancer's test listener: the rule blue/green's test checks go through, and its endpoint. */
export interface TestListener {
  ruleArn: string;
  endpoint: string;
}

/**
 * pipeline.config.yml with orders-api's PPE on a strategy that shifts traffic behind a load balancer (with
 * a test listener when `testListener` is given).
 */
export function shiftingConfig(settings: string, testListener?: TestListener): PipelineConfig {
  const test = testListener
    ? `testListenerRuleArn: '${testListener.ruleArn}', testEndpoint: '${testListener.endpoint}', `
    : '';
  const text = sampleConfigText()
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
        `productionListenerRuleArn: '${RULE}', ${test}infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`,
    );
  return parseConfig(text, 'pipeline.config.yml (test: orders-api PPE shifts traffic)');
}

/** The commit orders-api's PPE serves: in production, or in one target group of its blue/green pair. */
export function servingCommit(p: LocalPipeline, targetGroup?: string): string | undefined {
  const td = targetGroup ? p.platform.servingIn(ORDERS_PPE, targetGroup) : p.platform.serving(ORDERS_PPE);
  return td?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit];
}

/**
 * One local pipeline a test at a time, closed after each test (call at the top of a test file, so that its
 * `afterEach` is the file's). `close()` closes it earlier, for a test that must remove its data directory.
 */
export function pipelinePerTest() {
  let current: LocalPipeline | undefined;
  afterEach(() => close());

  async function close(): Promise<void> {
    await current?.close();
    current = undefined;
  }

  async function start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    current = await LocalPipeline.start(options);
    return current;
  }

  /**
   * Pushes the good build (events/ecr-push-orders-api.json: GOOD_COMMIT) to orders-api's PPE on `settings`
   * (or on a whole configuration), with TRAFFIC_PER_MINUTE, and waits until everything settled: the one execution it started and its
   * stage's traffic shift, as recorded.
   */
  async function pushGoodBuild(
    settings: string | PipelineConfig,
    options: Partial<LocalPipelineOptions> = {},
  ) {
    const pipeline = await start({
      config: typeof settings === 'string' ? shiftingConfig(settings) : settings,
      trafficPerMinute: TRAFFIC_PER_MINUTE,
      ...options,
    });
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await pipeline.settled();
    const { executions } = await pipeline.engine.listExecutions({});
    expect(executions).toHaveLength(1);
    const execution = await pipeline.engine.describeExecution({ executionArn: executions[0]!.executionArn });
    const shift = await pipeline.shiftLog.get(STAGE_KEY);
    return { execution, shift, pipeline };
  }

  /** The pipeline the test started (undefined before it started one). */
  const started = (): LocalPipeline | undefined => current;

  return { start, close, pushGoodBuild, started };
}
