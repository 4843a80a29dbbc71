import { lambdaStep } from '../../shared/middleware/lambda-step';
import { awaitDeployment, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';
import { awaitDeploymentSchema } from './await-deployment.schema';

/** "Wait for ECS deployment" and "Wait for rollback deployment" (callbacks): park the token until ECS reports. */
export function createAwaitDeployment(deps: SettleDeploymentDeps) {
  return async (event: unknown) => awaitDeployment(awaitDeploymentSchema.parse(event), deps);
}

export const handler = lambdaStep('await-deployment', () => createAwaitDeployment(awsSettleDeploymentDeps()));
