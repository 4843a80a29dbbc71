import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { sweepDeploymentWaiters, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { sweepBakeWatches, type WatchBakeDeps } from '../../shared/use-cases/watch-bake';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';
import { awsBakeWatches } from '../../shared/wiring/watch-bake-deps';
import { CloudWatchAlarmSource } from '../../shared/aws/cloudwatch-alarms.adapter';

/**
 * Scheduled every minute: settles deployments whose ECS event was lost or raised in another region than
 * the pipeline's (production waves span regions; the event rule lives in one), and reads the alarms of
 * every baking stage, so a lost alarm event delays a rollback by one period at most.
 */
export function createSweepDeployments(
  deps: SettleDeploymentDeps & { bakes?: Pick<WatchBakeDeps, 'watches' | 'alarms'> },
) {
  return async () => {
    const settlements = await sweepDeploymentWaiters(deps);
    const settled = settlements.filter((s) => s.outcome !== 'pending');
    if (settled.length > 0) logger.info('sweep settled deployments', { settled });
    const summary = { checked: settlements.length, settled: settled.length };
    if (!deps.bakes) return summary;
    const verdicts = await sweepBakeWatches({
      ...deps.bakes,
      executions: deps.executions,
      clock: deps.clock,
    });
    const breached = verdicts.filter((v) => v.outcome === 'breached');
    if (breached.length > 0) logger.info('sweep ended bakes on alarms', { breached });
    return { ...summary, bakesChecked: verdicts.length, bakesBreached: breached.length };
  };
}

export const handler = lambdaStep('sweep-deployments', () =>
  createSweepDeployments({
    ...awsSettleDeploymentDeps(),
    bakes: { watches: awsBakeWatches(), alarms: new CloudWatchAlarmSource() },
  }),
);
