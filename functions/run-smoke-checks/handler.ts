import type { HttpProbe } from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { runSmokeChecks } from '../../shared/use-cases/run-smoke-checks';
import { directTestCheckRunner } from '../../shared/use-cases/run-test-checks';
import { stageRunSchema } from '../../shared/domain/stage-run.schema';
import {
  isTestCheckRequest,
  testCheckRequestSchema,
  type TestCheckAnswer,
} from '../../shared/domain/test-check-request.schema';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { fetchProbe } from '../../shared/http-probe';

/** "Run smoke checks": HTTP checks from the config against the freshly deployed endpoint. */
export function createRunSmokeChecks(deps: { probe: HttpProbe }) {
  return async (event: unknown) => runSmokeChecks(stageRunSchema.parse(event), deps);
}

/**
 * Blue-green's test checks, asked by the traffic shift hook (a `request: 'test-checks'` event): this function
 * sits in the region's smokeTestVpc, so it reaches a test listener on an internal load balancer.
 */
export function createRunRequestedTestChecks(deps: { probe: HttpProbe }) {
  return async (event: unknown): Promise<TestCheckAnswer> => {
    const { endpoint, checks } = parseEvent(testCheckRequestSchema, event, 'test check request');
    return { results: await directTestCheckRunner(deps.probe).run(endpoint, checks) };
  };
}

/** The function's two inputs: a stage run (the smoke checks) or the hook's test check request. */
export function createSmokeTestFunction(deps: { probe: HttpProbe }) {
  const smokeChecks = createRunSmokeChecks(deps);
  const testChecks = createRunRequestedTestChecks(deps);
  return async (event: unknown) => (isTestCheckRequest(event) ? testChecks(event) : smokeChecks(event));
}

export const handler = lambdaStep('run-smoke-checks', () => createSmokeTestFunction({ probe: fetchProbe }));
