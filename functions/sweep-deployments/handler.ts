import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { sweepDeploymentWaiters, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';

/**
 * Scheduled every minute: settles deployments whose ECS event was lost or raised in another region than
 * the pipeline's (production waves span regions; the event rule lives in one).
 */
export function createSweepDeployments(deps: SettleDeploymentDeps) {
  return async () => {
    const settlements = await sweepDeploymentWaiters(deps);
    const settled = settlements.filter((s) => s.outcome !== 'pending');
    if (settled.length > 0) logger.info('sweep settled deployments', { settled });
    return { checked: settlements.length, settled: settled.length };
  };
}

export const handler = lambdaStep('sweep-deployments', () =>
  createSweepDeployments(awsSettleDeploymentDeps()),
);
