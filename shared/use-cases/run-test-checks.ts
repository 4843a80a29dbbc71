import type { Clock } from '../clock';
import type { SmokeCheckResult } from '../domain/stage-run.schema';
import type { ShiftProgress } from '../domain/traffic-shift';
import type { LifecycleHookResponse, TestCheck, TrafficShiftHookDetails } from '../domain/traffic-shift-hook';
import type { HttpProbe } from '../ports/deployment';
import type { TestCheckRunner, TrafficShiftLog } from '../ports/traffic-shift';
import { runHttpCheck } from './run-smoke-checks';

/** How soon ECS calls again after a test check got no answer (a network error or its timeout). */
export const TEST_CHECK_RETRY_SECONDS = 10;
/** Calls in a row in which a check got no answer before the test checks fail: about a minute of retries. */
export const TEST_CHECK_MAX_ATTEMPTS = 6;

export interface RunTestChecksDeps {
  probe: HttpProbe;
  log: TrafficShiftLog;
  clock: Clock;
  /** Where the checks run when not in the hook itself: the smoke-test function in the region's smokeTestVpc. */
  testChecks?: TestCheckRunner;
}

/** The checks run here, one after the other, with the smoke checks' runner. */
export function directTestCheckRunner(probe: HttpProbe): TestCheckRunner {
  return {
    async run(endpoint, checks) {
      const results: SmokeCheckResult[] = [];
      for (const check of checks) results.push(await runHttpCheck(check, endpoint, probe));
      return results;
    },
  };
}

/**
 * Blue-green's test checks, one call of the hook at POST_TEST_TRAFFIC_SHIFT: green then has all of the test
 * listener's traffic and none of production's, so a failure here rolls back before any user reached green.
 *
 * 1. Run every check against the test endpoint, one after the other, each bounded by its timeout (the
 *    smoke checks' runner: same status, latency and body rules), here or through `deps.testChecks` (the
 *    smoke-test function in the VPC; if it cannot be reached, every check counts as not answered).
 * 2. All pass: SUCCEEDED, and ECS goes on to the production shift.
 * 3. A check got an answer it should not (a wrong status, too slow, a body without the text): that is a
 *    verdict. Record the failed shift with the cause, then FAILED: ECS rolls back.
 * 4. Otherwise a check got no answer at all (connection refused or reset, DNS, its timeout): no verdict yet.
 *    IN_PROGRESS with a short callBackDelay, and the same checks again; after TEST_CHECK_MAX_ATTEMPTS such
 *    calls in a row, fail as in 3, saying that green never answered.
 */
export async function runTestChecks(
  details: TrafficShiftHookDetails,
  deps: RunTestChecksDeps,
): Promise<LifecycleHookResponse> {
  const tests = details.testChecks;
  // Registered here only with checks; hookDetails without any have nothing to check.
  if (!tests) return { hookStatus: 'SUCCEEDED' };
  const { testAttempts: _attempts, ...rest } = details;
  const runner = deps.testChecks ?? directTestCheckRunner(deps.probe);
  const answers = await runner.run(tests.endpoint, tests.checks);
  const results = tests.checks.map((check, i) => ({
    check,
    result: answers[i] ?? { name: check.name, url: tests.endpoint, passed: false, problem: 'no result' },
  }));

  const failed = results.filter(({ result }) => !result.passed);
  if (failed.length === 0) return { hookStatus: 'SUCCEEDED', hookDetails: rest };

  const answeredWrong = failed.filter(({ result }) => result.status !== undefined);
  const attempt = (details.testAttempts?.failed ?? 0) + 1;
  if (answeredWrong.length === 0 && attempt < TEST_CHECK_MAX_ATTEMPTS)
    return {
      hookStatus: 'IN_PROGRESS',
      callBackDelay: TEST_CHECK_RETRY_SECONDS,
      hookDetails: { ...rest, testAttempts: { failed: attempt, lastProblem: describeFailures(failed) } },
    };

  const cause =
    answeredWrong.length > 0
      ? describeFailures(answeredWrong)
      : `${describeFailures(failed)} (no answer in ${attempt} attempts, ${TEST_CHECK_RETRY_SECONDS} s apart)`;
  const progress: ShiftProgress = {
    step: 0,
    stepStartedAt: deps.clock.now(),
    extensions: 0,
    status: 'failed',
    cause,
    records: [],
  };
  await deps.log.record(
    { executionName: details.executionName, environment: details.environment, region: details.region },
    progress,
  );
  return { hookStatus: 'FAILED', hookDetails: rest };
}

/** `test check 'health' GET https://test.example/health: 503, expected 200`, one per failed check. */
function describeFailures(failed: { check: TestCheck; result: SmokeCheckResult }[]): string {
  return failed
    .map(({ check, result }) => {
      const what =
        result.status !== undefined && result.status !== check.expectStatus
          ? `${result.status}, expected ${check.expectStatus}`
          : (result.problem ?? 'failed');
      return `test check '${check.name}' ${check.method} ${result.url}: ${what}`;
    })
    .join('; ');
}
