import { readableCause } from '../domain/failure-cause';
import type { ContainerPlatform, ShiftRequest, StageRecordStore } from '../ports/deployment';
import type { ServiceDeploymentControl, TrafficShiftHook, TrafficShiftLog } from '../ports/traffic-shift';
import { DEPLOYED_ENV } from '../domain/deployment-record';
import { targetOf } from './deploy-service';
import type { StageRun } from '../domain/stage-run.schema';

export interface RollbackResult {
  rolledBack: boolean;
  taskDefinitionArn?: string;
  /** The ECS deployment that restores the previous revision, when one was needed. */
  deploymentId?: string;
  reason: string;
  /** One line for the execution's failure cause: what failed, and what the rollback did. */
  summary: string;
}

/** The error a Catch recorded: Step Functions' `{ Error, Cause }`, Cause often Lambda's JSON. */
export interface CaughtFailure {
  Error: string;
  Cause?: string;
}

export interface RollBackServiceDeps {
  platform: ContainerPlatform;
  stageRecords: StageRecordStore;
  /** Stages that shift traffic: switching back to blue while it still runs (ECS blue/green's bake). */
  serviceDeployments?: ServiceDeploymentControl;
  trafficShiftHook?: TrafficShiftHook;
  /** Where the hook recorded the shift: a failed step's numbers go into the stage's cause. */
  shiftLog?: TrafficShiftLog;
}

/**
 * Puts the stage's service back on the revision recorded before this execution deployed.
 *
 * 1. Look up the recorded previous revision; without one, this execution never touched the service.
 * 2. If the service already runs it (a retried rollback, or ECS's circuit breaker got there first), stop,
 *    returning the deployment that still restores it, if any, for the stage to wait for.
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
  const key = {
    executionName: run.executionName,
    environment: run.stage.environment,
    region: run.stage.region,
  };
  // ECS says only that the hook failed; the hook's record says why, with the numbers.
  const shift = run.stage.traffic && deps.shiftLog ? await deps.shiftLog.get(key) : undefined;
  const shiftCause =
    shift?.status === 'failed' && shift.cause ? `; traffic shift failed: ${shift.cause}` : '';
  const failed =
    (run.failure ? `${run.failure.Error}: ${readableCause(run.failure.Cause)}` : 'failure') + shiftCause;
  const previous = await deps.stageRecords.previousRevision(key);
  if (!previous) {
    const reason = 'nothing to roll back: this execution never changed the service';
    return { rolledBack: false, reason, summary: `${failed} (in ${where}; ${reason})` };
  }

  const target = targetOf(run);
  const service = await deps.platform.describeService(target);
  const revision = previous.split('/').pop();
  if (service.taskDefinitionArn === previous) {
    // ECS's circuit breaker (or an earlier attempt) restores it with a deployment of its own: while that one
    // still rolls out, the stage must wait for it before it releases the environment's lock.
    const restoring = service.deployments.find(
      (d) => d.status === 'PRIMARY' && d.taskDefinitionArn === previous && d.rolloutState === 'IN_PROGRESS',
    );
    const reason = restoring
      ? `ECS is restoring ${revision} in deployment ${restoring.id} (circuit breaker or an earlier attempt)`
      : `service already runs ${revision} (${run.stage.traffic ? "ECS's blue/green rollback" : 'ECS circuit breaker'} or an earlier attempt restored it)`;
    return {
      rolledBack: true,
      taskDefinitionArn: previous,
      ...(restoring && { deploymentId: restoring.id }),
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
  // Blue still runs while ECS's blue/green deployment shifts or bakes: switching back is a listener change,
  // seconds, not a new deployment.
  if (run.stage.traffic && deps.serviceDeployments) {
    const stopped = await deps.serviceDeployments.rollBackInProgress(target);
    if (stopped) {
      const reason = `switched traffic back to blue (${revision}), which still ran: stopped ECS deployment ${stopped.serviceDeploymentArn.split('/').pop()} with ROLLBACK`;
      return {
        rolledBack: true,
        taskDefinitionArn: previous,
        reason,
        summary: `${failed} (in ${where}; rolled back: ${reason})`,
      };
    }
  }
  const { deploymentId } = await deps.platform.updateService(target, previous, restoreShift(run, deps));
  const reason = `restored ${revision}`;
  return {
    rolledBack: true,
    taskDefinitionArn: previous,
    deploymentId,
    reason,
    summary: `${failed} (in ${where}; rolled back: ${reason})`,
  };
}

/**
 * Blue is gone: the previous revision goes back as a blue/green deployment of its own (the service's
 * strategy), all at once with no judged step and no test check, since it is the version that ran before:
 * checks written for the new version must not hold its rollback back.
 */
function restoreShift(
  run: Pick<StageRun, 'executionName' | 'stage'>,
  deps: RollBackServiceDeps,
): ShiftRequest | undefined {
  if (!run.stage.traffic || !deps.trafficShiftHook) return undefined;
  const { testChecks: _checks, ...traffic } = run.stage.traffic;
  return {
    traffic: { ...traffic, strategy: 'blue-green', steps: [] },
    hook: deps.trafficShiftHook,
    stage: {
      executionName: run.executionName,
      service: run.stage.service,
      environment: run.stage.environment,
      region: run.stage.region,
    },
  };
}
