import type { HttpProbe } from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { runSmokeChecks } from '../../shared/use-cases/run-smoke-checks';
import { stageRunSchema } from '../../shared/domain/stage-run.schema';
import { fetchProbe } from '../../shared/http-probe';

/** "Run smoke checks": HTTP checks from the config against the freshly deployed endpoint. */
export function createRunSmokeChecks(deps: { probe: HttpProbe }) {
  return async (event: unknown) => runSmokeChecks(stageRunSchema.parse(event), deps);
}

export const handler = lambdaStep('run-smoke-checks', () => createRunSmokeChecks({ probe: fetchProbe }));
