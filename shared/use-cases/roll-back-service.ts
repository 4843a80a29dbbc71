import { readableCause } from '../domain/failure-cause';
import type { ContainerPlatform, StageRecordStore } from '../ports/deployment';
import { DEPLOYED_ENV, targetOf } from './deploy-service';
import type { CaughtFailure, StageRun } from '../domain/stage-run.schema';

export interface RollbackResult {
  rolledBack: boolean;
  taskDefinitionArn?: string;
  /** The ECS deployment that restores the previous revision, when one was needed. */
  deploymentId?: string;
  reason: string;
  /** One line for the execution's failure cause: what failed, and what the rollback did. */
  summary: string;
}

export interface RollBackServiceDeps {
  platform: ContainerPlatform;
  stageRecords: StageRecordStore;
}

/**
 * Puts the stage's service back on the revision recorded before this execution deployed.
 *
 * 1. Look up the recorded previous revision; without one, this execution never touched the service.
 * 2. If the service already runs it (a retried rollback, or ECS's circuit breaker got there first), stop;
 *    when that revision is still rolling out (an earlier attempt died after UpdateService), hand back its
 *    deployment so the stage waits for it.
 * 3. If it runs a revision another execution deployed since, stop: this execution's version no longer runs
 *    there, and restoring the old revision would undo a newer deploy (a redrive days after a failed
 *    rollback, once the environment's lock lease has run out).
 * 4. Otherwise update the service to it.
 */
export async function rollBackService(
  run: Pick<StageRun, 'executionName' | 'stage'> & { failure?: CaughtFailure },
  deps: RollBackServiceDeps,
): Promise<RollbackResult> {
  const where = `${run.stage.environment}/${run.stage.region}`;
  const failed = run.failure ? `${run.failure.Error}: ${readableCause(run.failure.Cause)}` : 'failure';
  const key = {
    executionName: run.executionName,
    environment: run.stage.environment,
    region: run.stage.region,
  };
  const previous = await deps.stageRecords.previousRevision(key);
  if (!previous) {
    const reason = 'nothing to roll back: this execution never changed the service';
    return { rolledBack: false, reason, summary: `${failed} (in ${where}; ${reason})` };
  }

  const target = targetOf(run);
  const service = await deps.platform.describeService(target);
  const revision = previous.split('/').pop();
  if (service.taskDefinitionArn === previous) {
    // An earlier attempt updated the service and died before it returned: its deployment may still be
    // rolling out. The stage must wait for it, or it would free the lock while the rollback still deploys.
    const rollingOut = service.deployments.find(
      (d) => d.taskDefinitionArn === previous && d.status === 'PRIMARY' && d.rolloutState === 'IN_PROGRESS',
    );
    const reason = rollingOut
      ? `restoring ${revision} (deployment ${rollingOut.id}, started by an earlier attempt)`
      : `service already runs ${revision} (ECS circuit breaker or an earlier attempt restored it)`;
    return {
      rolledBack: true,
      taskDefinitionArn: previous,
      ...(rollingOut && { deploymentId: rollingOut.id }),
      reason,
      summary: `${failed} (in ${where}; rolled back: ${reason})`,
    };
  }
  const current = await deps.platform.describeTaskDefinition(target.region, service.taskDefinitionArn);
  const deployedBy = current.containers.find((c) => c.name === run.stage.container)?.environment[
    DEPLOYED_ENV.execution
  ];
  if (deployedBy !== undefined && deployedBy !== run.executionName) {
    const reason =
      `nothing to roll back: the service has moved on to ${service.taskDefinitionArn.split('/').pop()}, ` +
      `deployed by ${deployedBy}`;
    return { rolledBack: false, reason, summary: `${failed} (in ${where}; ${reason})` };
  }
  const { deploymentId } = await deps.platform.updateService(target, previous);
  const reason = `restored ${revision}`;
  return {
    rolledBack: true,
    taskDefinitionArn: previous,
    deploymentId,
    reason,
    summary: `${failed} (in ${where}; rolled back: ${reason})`,
  };
}
