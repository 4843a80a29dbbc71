import * as z from 'zod';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { awaitDeployment, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { stageSchema } from '../../shared/use-cases/stage-run.schema';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';

// Task tokens are opaque and up to 2 KB (beyond 1024 in practice); never logged.
const awaitDeploymentSchema = z.object({
  taskToken: z.string().min(1).max(8192),
  stage: stageSchema,
  deploymentId: z.string().min(1).max(256),
  taskDefinitionArn: z.string().startsWith('arn:').max(2048).optional(),
});

/** "Wait for ECS deployment" and "Wait for rollback deployment" (callbacks): park the token until ECS reports. */
export function createAwaitDeployment(deps: SettleDeploymentDeps) {
  return async (event: unknown) => awaitDeployment(awaitDeploymentSchema.parse(event), deps);
}

export const handler = lambdaStep('await-deployment', () => createAwaitDeployment(awsSettleDeploymentDeps()));
