import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../shared/config/config.loader';
import { DEPLOYED_ENV } from '../../shared/use-cases/deploy-service';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

/**
 * A canary judged on a business KPI, through the real promote state machine on virtual time: the sample
 * services report each checkout with their version (x-business-metric), the local load balancer files it,
 * and the hook reads blue's and green's checkouts per request over each window as it would from
 * CloudWatch. A build that loses checkouts quietly, its errors and latency healthy, is caught at 5%.
 */

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const GOOD_COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** The next build (events/ecr-push-orders-api-slow.json), here the one that loses checkouts. */
const NEXT_COMMIT = '5a1e7d0c0ffee5a1e7d0c0ffee5a1e7d0c0ffee5';
const ORDERS_PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
const BLUE_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-a/73e2d6bc24d8a067';
const GREEN_TG =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-ppe-b/2453ed029918f21f';
const RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders-ppe/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const STAGE_KEY = { environment: 'ppe', region: 'eu-west-1' };
/** 8,000 requests a minute: a one-minute 5% step gives green 400 and blue 7,600. */
const TRAFFIC_PER_MINUTE = 8_000;

/** orders-api's PPE on a canary judged on checkouts per request, as the sample service reports them. */
const KPI_CANARY = `strategy: canary
canary: { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] }
keepBlueMinutes: 2
judgement:
  minRequests: 300
  maxExtensions: 2
  kpis: [{ name: checkout-success, namespace: Orders, metricName: CheckoutSucceeded, statistic: Sum, revisionDimension: Version, maxDrop: 0.1 }]`;

function kpiConfig() {
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8')
    .replace(
      /(  - name: orders-api\n(?:.*\n)*?      ppe:\n)/,
      `$1${KPI_CANARY.split('\n')
        .map((line) => `        ${line}`)
        .join('\n')}\n`,
    )
    .replace(
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',",
      "endpoint: 'https://orders-api.ppe.eu-west-1.example.internal',\n" +
        `              loadBalancer: { blueTargetGroupArn: '${BLUE_TG}', greenTargetGroupArn: '${GREEN_TG}', ` +
        `productionListenerRuleArn: '${RULE}', infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure-orders' },`,
    );
  return parseConfig(text, 'pipeline.config.yml (test: orders-api PPE on a canary judged on a KPI)');
}

let pipeline: LocalPipeline | undefined;
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

function servingCommit(p: LocalPipeline): string | undefined {
  return p.platform.serving(ORDERS_PPE)?.containers.find((c) => c.name === 'app')?.environment[
    DEPLOYED_ENV.commit
  ];
}

async function pushed(p: LocalPipeline, eventFile: string, commit: string) {
  await p.putEvent(event(eventFile));
  await p.settled();
  const { executions } = await p.engine.listExecutions({});
  const listed = executions.find((e) => e.name.includes(commit.slice(0, 12)));
  if (!listed) throw new Error(`no execution for ${commit}`);
  const execution = await p.engine.describeExecution({ executionArn: listed.executionArn });
  const shift = await p.shiftLog.get({ ...STAGE_KEY, executionName: listed.name });
  return { execution, shift };
}

describe('a canary judged on a business KPI, through the promote state machine', () => {
  it('when a build loses 40% of its checkouts with healthy errors and latency, the canary catches it at 5% on the KPI and switches back to blue', async () => {
    // Prepare: a first build whose blue (the bootstrap revision) reports no version: its KPI is not judged
    pipeline = await LocalPipeline.start({
      config: kpiConfig(),
      trafficPerMinute: TRAFFIC_PER_MINUTE,
      behaviours: { [NEXT_COMMIT.slice(0, 7)]: { kpiDrop: 0.4 } },
    });
    const first = await pushed(pipeline, 'ecr-push-orders-api.json', GOOD_COMMIT);

    // Act: the next build loses checkouts quietly
    const next = await pushed(pipeline, 'ecr-push-orders-api-slow.json', NEXT_COMMIT);

    // Assess: the first walked the canary on errors and latency, saying why the KPI was not judged
    expect(first.execution.status).toBe('SUCCEEDED');
    expect(first.shift?.records.map((r) => [r.percent, r.outcome])).toEqual([
      [5, 'pass'],
      [25, 'pass'],
      [50, 'pass'],
    ]);
    expect(first.shift?.records[0]?.reason).toContain(
      "checkout-success not judged: blue's revision reports no PIPELINE_VERSION",
    );
    // The next failed at 5% on the KPI alone: no errors, and its p95 passed
    expect(next.execution.status).toBe('FAILED');
    expect(next.shift?.status).toBe('failed');
    expect(
      next.shift?.records.map((r) => [
        r.percent,
        r.outcome,
        r.green.requests,
        r.blue.requests,
        r.green.errors,
      ]),
    ).toEqual([[5, 'fail', 400, 7_600, 0]]);
    expect(next.shift?.cause).toMatch(
      /^checkout-success 0\.\d+ per request vs baseline 0\.9\d \(−\d+%\) at 5% after 1 min, 400 requests$/,
    );
    const [, green, blue] = /^checkout-success (0\.\d+) per request vs baseline (0\.\d+)/.exec(
      next.shift!.cause!,
    )!;
    expect(Number(green) / Number(blue)).toBeGreaterThan(0.5);
    expect(Number(green) / Number(blue)).toBeLessThan(0.7);
    expect(next.execution.cause).toContain(`traffic shift failed: ${next.shift!.cause}`);
    expect(await pipeline.loadBalancers.greenPercentOf(RULE)).toBe(0);
    expect(servingCommit(pipeline)).toBe(GOOD_COMMIT);
  });
});
