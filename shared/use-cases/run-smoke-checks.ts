import type { SmokeCheckConfig } from '../config/config.schema';
import { SmokeTestFailedError } from '../domain/errors';
import type { HttpProbe } from '../ports/deployment';
import type { SmokeCheckResult, StageRun } from '../domain/stage-run.schema';

/**
 * Runs the stage's smoke checks against its endpoint, one after the other, each bounded by its timeout.
 * Returns every result when all pass; otherwise throws SmokeTestFailed whose message lists each failure
 * (the cause an operator reads in the console and in `pipeline show`).
 */
export async function runSmokeChecks(
  run: Pick<StageRun, 'stage' | 'version' | 'commit'>,
  deps: { probe: HttpProbe },
): Promise<SmokeCheckResult[]> {
  const results: SmokeCheckResult[] = [];
  for (const check of run.stage.smoke)
    results.push(await runHttpCheck(check, run.stage.endpoint, deps.probe, run));

  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0)
    throw new SmokeTestFailedError(
      `${failed.length} of ${results.length} smoke checks failed in ${run.stage.environment}/${run.stage.region}: ` +
        failed.map((f) => `${f.name} (${f.url}): ${f.problem}`).join('; '),
    );
  return results;
}

/** One HTTP check as a smoke check has it; blue-green's test checks are the same without `reportsDeployed`. */
export type HttpCheck = Omit<SmokeCheckConfig, 'reportsDeployed'> &
  Partial<Pick<SmokeCheckConfig, 'reportsDeployed'>>;

/**
 * Runs one HTTP check against `endpoint` + its path. A request that got no answer (network error, timeout)
 * is a result without `status`; `deployed` is what `reportsDeployed` compares with.
 */
export async function runHttpCheck(
  check: HttpCheck,
  endpoint: string,
  probe: HttpProbe,
  deployed?: Pick<StageRun, 'version' | 'commit'>,
): Promise<SmokeCheckResult> {
  const url = new URL(check.path, endpoint).toString();
  const base = { name: check.name, url };
  let response;
  try {
    response = await probe.request({ url, method: check.method, timeoutMs: check.timeoutMs });
  } catch (error) {
    return { ...base, passed: false, problem: `request failed: ${(error as Error).message}` };
  }
  const seen = { ...base, status: response.status, latencyMs: response.latencyMs };
  const problem = findProblem(check, response, deployed);
  return problem ? { ...seen, passed: false, problem } : { ...seen, passed: true };
}

function findProblem(
  check: HttpCheck,
  response: { status: number; body: string; latencyMs: number },
  run: Pick<StageRun, 'version' | 'commit'> | undefined,
): string | undefined {
  if (response.status !== check.expectStatus)
    return `expected status ${check.expectStatus}, got ${response.status}`;
  if (response.latencyMs > check.maxLatencyMs)
    return `took ${response.latencyMs} ms, more than the ${check.maxLatencyMs} ms allowed`;
  if (check.bodyContains && !response.body.includes(check.bodyContains))
    return `body does not contain ${JSON.stringify(check.bodyContains)}`;
  if (check.reportsDeployed && run) {
    const expected = run[check.reportsDeployed.equals];
    let reported: unknown;
    try {
      reported = (JSON.parse(response.body) as Record<string, unknown>)[check.reportsDeployed.field];
    } catch {
      return `body is not JSON, so field "${check.reportsDeployed.field}" cannot be read`;
    }
    if (reported !== expected)
      return `reports ${check.reportsDeployed.field}=${JSON.stringify(reported)}, expected ${JSON.stringify(expected)} (old tasks still serving?)`;
  }
  return undefined;
}
