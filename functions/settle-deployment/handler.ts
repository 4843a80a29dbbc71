import { ecsDeploymentStateChangeSchema } from '../../shared/events/ecs-deployment-state-change.schema';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { onDeploymentStateChange, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';

/** Target of the ECS deployment state change rule: resumes the execution waiting on that deployment. */
export function createSettleDeployment(deps: SettleDeploymentDeps) {
  return async (event: unknown) => {
    const change = parseEvent(ecsDeploymentStateChangeSchema, event, 'ECS Deployment State Change event');
    const settlement = await onDeploymentStateChange(change.detail, deps);
    logger.info('deployment state change handled', { ...settlement });
    return settlement;
  };
}

export const handler = lambdaStep('settle-deployment', () =>
  createSettleDeployment(awsSettleDeploymentDeps()),
);
