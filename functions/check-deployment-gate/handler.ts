import { DynamoDeploymentFreezes } from '../../shared/aws/deployment-freezes.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type { DeploymentFreezes } from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { checkDeploymentGate } from '../../shared/use-cases/check-deployment-gate';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { checkDeploymentGateSchema } from './check-deployment-gate.schema';

/** "Check the deployment gate": open, or frozen / outside the windows with when to look again. */
export function createCheckDeploymentGate(deps: { freezes: DeploymentFreezes; clock: Clock }) {
  return async (event: unknown) => checkDeploymentGate(checkDeploymentGateSchema.parse(event), deps);
}

export const handler = lambdaStep('check-deployment-gate', () =>
  createCheckDeploymentGate({
    freezes: new DynamoDeploymentFreezes({ table: lambdaPipelineTable() }),
    clock: systemClock,
  }),
);
