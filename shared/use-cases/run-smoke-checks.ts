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
  for (const check of run.stage.smoke) results.push(await runCheck(check, run, deps.probe));

  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0)
    throw new SmokeTestFailedError(
      `${failed.length} of ${results.length} smoke checks failed in ${run.stage.environment}/${run.stage.region}: ` +
        failed.map((f) => `${f.name} (${f.url}): ${f.problem}`).join('; '),
    );
  return results;
}

async function runCheck(
  check: SmokeCheckConfig,
  run: Pick<StageRun, 'stage' | 'version' | 'commit'>,
  probe: HttpProbe,
): Promise<SmokeCheckResult> {
  const url = new URL(check.path, run.stage.endpoint).toString();
  const base = { name: check.name, url };
  let response;
  try {
    response = await probe.request({ url, method: check.method, timeoutMs: check.timeoutMs });
  } catch (error) {
    return { ...base, passed: false, problem: `request failed: ${(error as Error).message}` };
  }
  const seen = { ...base, status: response.status, latencyMs: response.latencyMs };
  const problem = findProblem(check, response, run);
  return problem ? { ...seen, passed: false, problem } : { ...seen, passed: true };
}

function findProblem(
  check: SmokeCheckConfig,
  response: { status: number; body: string; latencyMs: number },
  run: Pick<StageRun, 'version' | 'commit'>,
): string | undefined {
  if (response.status !== check.expectStatus)
    return `expected status ${check.expectStatus}, got ${response.status}`;
  if (response.latencyMs > check.maxLatencyMs)
    return `took ${response.latencyMs} ms, more than the ${check.maxLatencyMs} ms allowed`;
  if (check.bodyContains && !response.body.includes(check.bodyContains))
    return `body does not contain ${JSON.stringify(check.bodyContains)}`;
  if (check.reportsDeployed) {
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
