import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/use-cases/deploy-service';
import type { LocalState } from '../../local-runtime/data-dir/local-state';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

/**
 * A stage that shifts traffic keeps going across a restart of the local stack on its data directory: the
 * stack is closed (as Ctrl-C does) while the canary is at 25%, started again on the same directory, and the
 * ECS stand-in calls the hook again when it was due, with the hookDetails of its last call, on the load
 * balancer's restored weights and measurements. Real promote state machine, real requests through the
 * local load balancer to real blue and green sample services.
 */

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
/** 8,000 requests a minute: green gets 400 at 5% for a minute, 500 at 25% and 1,000 at 50% for 15 s. */
const TRAFFIC_PER_MINUTE = 8_000;

const CANARY = `strategy: canary
canary: { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] }
keepBlueMinutes: 2
judgement: { minRequests: 300, maxExtensions: 2 }`;

/** pipeline.config.yml with orders-api's PPE on a canary behind a load balancer. */
function canaryConfig(settings: string) {
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
  return parseConfig(text, 'pipeline.config.yml (test: orders-api PPE on a canary)');
}

function servingCommit(p: LocalPipeline, targetGroup?: string): string | undefined {
  const td = targetGroup ? p.platform.servingIn(ORDERS_PPE, targetGroup) : p.platform.serving(ORDERS_PPE);
  return td?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.commit];
}

/** Polls (real time) until `check` holds; the stack runs on virtual time meanwhile (slowly on a busy machine). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + HANG_LIMIT_MS / 2;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

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

/** When the test closes the first stack: as green gets a weight, or after green answered some requests. */
type RestartAt = { greenPercent: number } | { greenRequests: number };

/**
 * Pushes the build, closes the stack as Ctrl-C does at `at`, starts a new one on the same directory and
 * lets it finish: what was saved, and the stage as the second stack ended it.
 */
async function restartWhileShifting(settings: string, at: RestartAt, options: Partial<LocalPipelineOptions>) {
  const config = canaryConfig(settings);
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
  await started.putEvent(event('ecr-push-orders-api.json'));
  if ('greenPercent' in at) {
    await until(
      async () => (await started.loadBalancers.greenPercentOf(RULE)) === at.greenPercent,
      'the weight',
    );
    await started.close({ abandon: true });
  } else {
    await until(async () => Promise.resolve(closing !== undefined), 'the requests');
    await closing;
  }
  const saved = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as LocalState;

  pipeline = await LocalPipeline.start({ config, trafficPerMinute: TRAFFIC_PER_MINUTE, dataDir, ...options });
  pipeline.resume();
  await pipeline.settled();
  const [only] = (await pipeline.engine.listExecutions({})).executions;
  const execution = await pipeline.engine.describeExecution({ executionArn: only!.executionArn });
  const shift = await pipeline.shiftLog.get(STAGE_KEY);
  const records = shift?.records.map((r) => [
    r.percent,
    r.extension,
    r.outcome,
    r.green.requests,
    r.blue.requests,
  ]);
  return { saved, execution, shift, records, pipeline };
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
