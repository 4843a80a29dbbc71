import type { Clock } from '../clock';
import { InvalidStepInputError } from '../domain/errors';
import type { KpiMeasurement } from '../domain/kpi-judgement';
import { DEPLOYED_ENV } from '../domain/deployment-record';
import { judgeStep } from '../domain/traffic-judgement';
import {
  advanceShift,
  currentWindow,
  startShift,
  type ShiftAction,
  type ShiftTransition,
} from '../domain/traffic-shift';
import {
  SHIFT_HOOK_STAGE,
  TEST_CHECK_HOOK_STAGE,
  trafficShiftHookDetailsSchema,
  type LifecycleHookEvent,
  type LifecycleHookResponse,
  type TrafficShiftHookDetails,
} from '../domain/traffic-shift-hook';
import type { HttpProbe } from '../ports/deployment';
import type { KpiMetricsSource, TrafficMetricsSource, TrafficRouter, TrafficWindow } from '../ports/traffic';
import type { TestCheckRunner, TrafficShiftLog } from '../ports/traffic-shift';
import { runTestChecks } from './run-test-checks';

export interface ShiftTrafficDeps {
  metrics: TrafficMetricsSource;
  router: TrafficRouter;
  log: TrafficShiftLog;
  clock: Clock;
  /** Blue-green's test checks: HTTP requests to green through the test listener. */
  probe: HttpProbe;
  /** Where the test checks run instead of here (`probe`): the smoke-test function in the region's VPC. */
  testChecks?: TestCheckRunner;
  /** Where the service's own metrics come from, for plans with business KPIs. */
  kpis?: KpiMetricsSource;
}

/**
 * One call of the traffic shift hook. ECS calls it before it shifts production traffic and again after
 * each `callBackDelay` while it answers IN_PROGRESS, passing back the `hookDetails` it returned: the
 * progress lives there, so each call is one flat transition whatever the schedule's length.
 *
 * 1. Read the plan, the targets and the progress from `hookDetails` (a first call has no progress).
 * 2. First call: give green the first step's weight. Later calls: measure blue and green over the current
 *    step's window, judge green against blue, and move (next weight, extend, complete, roll back).
 * 3. Record the progress (steps, numbers, verdicts) for the stage's evidence and the deployment record.
 * 4. Answer ECS: IN_PROGRESS with the delay until the window ends; SUCCEEDED when every step passed (ECS
 *    then sends green everything and keeps blue for the bake); FAILED after switching everything back to
 *    blue, so ECS rolls back the deployment.
 */
export async function shiftTraffic(
  event: LifecycleHookEvent,
  deps: ShiftTrafficDeps,
): Promise<LifecycleHookResponse> {
  // Only registered at these stages; any other call has nothing of ours to do.
  if (event.lifecycleStage !== SHIFT_HOOK_STAGE && event.lifecycleStage !== TEST_CHECK_HOOK_STAGE)
    return { hookStatus: 'SUCCEEDED' };
  const parsed = trafficShiftHookDetailsSchema.safeParse(event.hookDetails);
  if (!parsed.success)
    throw new InvalidStepInputError(
      `traffic shift hook of ${event.resourceArn}: hookDetails are not the pipeline's: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')}`,
    );
  const details = parsed.data;
  // Before any production traffic: green through the test listener (run-test-checks.ts).
  if (event.lifecycleStage === TEST_CHECK_HOOK_STAGE) return runTestChecks(details, deps);
  const { plan, targets } = details;
  const now = deps.clock.now();

  let transition: ShiftTransition;
  if (!details.progress) {
    transition = startShift(plan, now);
  } else if (details.progress.status !== 'shifting') {
    // A repeated call after the end (a retried invocation): answer as before, change nothing.
    return answer(details, details.progress.status === 'shifted' ? { kind: 'complete' } : rollBack(details));
  } else {
    const window = currentWindow(details.progress, now);
    const step = plan.steps[details.progress.step];
    if (!step)
      throw new InvalidStepInputError(
        `hookDetails progress is at step ${details.progress.step}, past the plan`,
      );
    const { blue, green } = await deps.metrics.sample(targets, window);
    const enough = Math.min(blue.requests, green.requests) >= plan.thresholds.minRequests;
    const kpis = enough ? await measureKpis(details, window, deps) : undefined;
    const verdict = judgeStep(
      { blue, green, greenPercent: step.percent, windowMs: window.to - window.from, ...(kpis && { kpis }) },
      plan.thresholds,
    );
    transition = advanceShift(plan, details.progress, verdict, window);
  }

  const { action, progress } = transition;
  // Traffic first: a failed step goes back to blue now, not when ECS gets to its rollback.
  if (action.kind === 'set-weight') await deps.router.setGreenWeight(targets, action.percent);
  if (action.kind === 'roll-back') await deps.router.setGreenWeight(targets, 0);
  await deps.log.record(
    { executionName: details.executionName, environment: details.environment, region: details.region },
    progress,
  );
  return answer({ ...details, progress }, action);
}

/**
 * The plan's KPIs over the window, each side selected by the version it runs. When the two sides cannot be
 * told apart no query could, so each KPI says why it is not judged instead.
 */
async function measureKpis(
  details: TrafficShiftHookDetails,
  window: TrafficWindow,
  deps: ShiftTrafficDeps,
): Promise<KpiMeasurement[] | undefined> {
  const kpis = details.plan.thresholds.kpis ?? [];
  if (kpis.length === 0) return undefined;
  const sides = versionsToCompare(details.versions);
  if ('notJudged' in sides) return kpis.map((kpi) => ({ name: kpi.name, notJudged: sides.notJudged }));
  if (!deps.kpis)
    throw new InvalidStepInputError(
      `the plan of ${details.service} ${details.environment}/${details.region} judges KPIs, but the hook has no KPI metrics source`,
    );
  return deps.kpis.sampleKpis(details.targets.region, kpis, sides, window);
}

/**
 * The two versions whose KPIs a step compares, or why they cannot be told apart: the hook was not told
 * them, blue's revision reports no version (deployed outside the pipeline), or both run the same one.
 */
function versionsToCompare(
  versions: TrafficShiftHookDetails['versions'],
): { blue: string; green: string } | { notJudged: string } {
  const { blue, green } = versions ?? {};
  if (green === undefined) return { notJudged: 'the hook was not told the versions blue and green run' };
  if (blue === undefined)
    return {
      notJudged: `blue's revision reports no ${DEPLOYED_ENV.version} (deployed outside the pipeline), so its datapoints cannot be told from green's`,
    };
  if (blue === green)
    return {
      notJudged: `blue and green both run version ${green}, so their datapoints cannot be told apart`,
    };
  return { blue, green };
}

function rollBack(details: TrafficShiftHookDetails): ShiftAction {
  return { kind: 'roll-back', cause: details.progress?.cause ?? 'the traffic shift failed' };
}

function answer(details: TrafficShiftHookDetails, action: ShiftAction): LifecycleHookResponse {
  switch (action.kind) {
    case 'set-weight':
    case 'extend':
      return {
        hookStatus: 'IN_PROGRESS',
        callBackDelay: Math.max(1, Math.ceil(action.waitMs / 1000)),
        hookDetails: details,
      };
    case 'complete':
      return { hookStatus: 'SUCCEEDED', hookDetails: details };
    case 'roll-back':
      return { hookStatus: 'FAILED', hookDetails: details };
  }
}
