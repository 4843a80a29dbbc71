import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { sweepDeploymentWaiters, type SettleDeploymentDeps } from '../../shared/use-cases/settle-deployment';
import { sweepBakeWatches, type WatchBakeDeps } from '../../shared/use-cases/watch-bake';
import { awsSettleDeploymentDeps } from '../../shared/wiring/settle-deployment-deps';
import { awsBakeWatches } from '../../shared/wiring/watch-bake-deps';
import { CloudWatchAlarmSource } from '../../shared/aws/cloudwatch-alarms.adapter';
import { sweepMigrationWaiters, type SettleMigrationDeps } from '../../shared/use-cases/run-migrations';
import { awsSweepMigrationDeps } from '../../shared/wiring/run-migrations-deps';

/**
 * Scheduled every minute: settles deployments whose ECS event was lost or raised in another region than
 * the pipeline's (production waves span regions; the event rule lives in one), and reads the alarms of
 * every baking stage, so a lost alarm event delays a rollback by one period at most.
 */
export function createSweepDeployments(
  deps: SettleDeploymentDeps & {
    bakes?: Pick<WatchBakeDeps, 'watches' | 'alarms'>;
    /** Migration tasks whose stopped event was lost (docs/migrations.md). */
    migrations?: Pick<SettleMigrationDeps, 'tasks' | 'store'>;
  },
) {
  return async () => {
    const settlements = await sweepDeploymentWaiters(deps);
    const settled = settlements.filter((s) => s.outcome !== 'pending');
    if (settled.length > 0) logger.info('sweep settled deployments', { settled });
    const summary = {
      checked: settlements.length,
      settled: settled.length,
      ...(deps.migrations && (await sweepMigrations(deps.migrations, deps))),
    };
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

async function sweepMigrations(
  migrations: Pick<SettleMigrationDeps, 'tasks' | 'store'>,
  deps: Pick<SettleMigrationDeps, 'executions' | 'clock'>,
) {
  const results = await sweepMigrationWaiters({
    ...migrations,
    executions: deps.executions,
    clock: deps.clock,
  });
  const ended = results.filter((r) => r.outcome === 'succeeded' || r.outcome === 'failed');
  if (ended.length > 0) logger.info('sweep settled migration tasks', { ended });
  return { migrationsChecked: results.length, migrationsSettled: ended.length };
}

export const handler = lambdaStep('sweep-deployments', () =>
  createSweepDeployments({
    ...awsSettleDeploymentDeps(),
    bakes: { watches: awsBakeWatches(), alarms: new CloudWatchAlarmSource() },
    migrations: awsSweepMigrationDeps(),
  }),
);
