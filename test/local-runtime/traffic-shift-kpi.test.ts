import type { LocalPipeline } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { loadEvent } from '../support/fixtures';
import { GOOD_COMMIT } from '../support/orders-api';
import {
  RULE,
  STAGE_KEY,
  TRAFFIC_PER_MINUTE,
  pipelinePerTest,
  servingCommit,
  shiftingConfig,
} from '../support/shifting-ppe';

/**
 * A canary judged on a business KPI, through the real promote state machine on virtual time: the sample
 * services report each checkout with their version (x-business-metric), the local load balancer files it,
 * and the hook reads blue's and green's checkouts per request over each window as it would from
 * CloudWatch. A build that loses checkouts quietly, its errors and latency healthy, is caught at 5%.
 */

// Thousands of real requests over loopback on a shared machine: the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/** The next build (events/ecr-push-orders-api-slow.json), here the one that loses checkouts. */
const NEXT_COMMIT = '5a1e7d0c0ffee5a1e7d0c0ffee5a1e7d0c0ffee5';
/** orders-api's PPE on a canary judged on checkouts per request, as the sample service reports them. */
const KPI_CANARY = `strategy: canary
canary: { steps: [5, 25, 50, 100], pauseMinutes: [1, 0.25, 0.25] }
keepBlueMinutes: 2
judgement:
  minRequests: 300
  maxExtensions: 2
  kpis: [{ name: checkout-success, namespace: Orders, metricName: CheckoutSucceeded, statistic: Sum, revisionDimension: Version, maxDrop: 0.1 }]`;

const pipelines = pipelinePerTest();

async function pushed(p: LocalPipeline, eventFile: string, commit: string) {
  await p.putEvent(loadEvent(eventFile));
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
    const pipeline = await pipelines.start({
      config: shiftingConfig(KPI_CANARY),
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
