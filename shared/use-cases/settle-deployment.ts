import type { Clock } from '../clock';
import { ERROR_NAMES } from '../domain/errors';
import type { Stage } from '../domain/stage';
import type {
  ContainerPlatform,
  DeploymentEnding,
  DeploymentWaiter,
  DeploymentWaiterStore,
  EcsDeploymentView,
  ExecutionControl,
} from '../ports/deployment';
import { targetOf } from './deploy-service';

/**
 * Waiting for an ECS deployment costs no state transitions: the "Wait for ECS deployment" state is a
 * task-token callback. Its step stores the token under the ECS deployment id; whichever comes first of
 * the ECS "Deployment State Change" event and the periodic sweep resumes the execution.
 */
export interface SettleDeploymentDeps {
  platform: ContainerPlatform;
  waiters: DeploymentWaiterStore;
  executions: ExecutionControl;
  clock: Clock;
}

export type Settlement =
  | { outcome: 'completed' | 'failed'; deploymentId: string; delivered: boolean; reason?: string }
  | { outcome: 'pending' | 'unknown'; deploymentId: string; reason?: string };

/** What the "Wait for … deployment" states send: the stage and the ECS deployment to wait for. */
export interface AwaitDeploymentRequest {
  taskToken: string;
  stage: Stage;
  deploymentId: string;
  /** The revision the deployment rolls out (both waits send it; executions started before may not). */
  taskDefinitionArn?: string;
}

/**
 * Step: registers the waiting task, then checks once in case the deployment finished before the token
 * was stored (the event would then have found no waiter).
 */
export async function awaitDeployment(
  request: AwaitDeploymentRequest,
  deps: SettleDeploymentDeps,
): Promise<Settlement> {
  const waiter: DeploymentWaiter = {
    deploymentId: request.deploymentId,
    taskToken: request.taskToken,
    target: targetOf(request),
    expiresAt: deps.clock.now() + (request.stage.deploymentTimeoutSeconds + 3600) * 1000,
    ...(request.taskDefinitionArn !== undefined && {
      taskDefinitionArn: request.taskDefinitionArn,
      since: deps.clock.now(),
    }),
  };
  await deps.waiters.put(waiter);
  return checkWaiter(waiter, deps);
}

/** ECS reported a deployment state change: resume the execution waiting on it, if any. */
export async function onDeploymentStateChange(
  change: { deploymentId: string; eventName: string; reason?: string },
  deps: SettleDeploymentDeps,
): Promise<Settlement> {
  const outcome = outcomeOfEvent(change.eventName);
  if (!outcome) return { outcome: 'pending', deploymentId: change.deploymentId, reason: change.eventName };
  return settle(change.deploymentId, outcome, change.reason, deps);
}

/** Scheduled sweep: checks every pending waiter against ECS, for events lost or sent to another region. */
export async function sweepDeploymentWaiters(deps: SettleDeploymentDeps): Promise<Settlement[]> {
  const results: Settlement[] = [];
  for (const waiter of await deps.waiters.list()) {
    if (waiter.expiresAt < deps.clock.now()) {
      await deps.waiters.remove(waiter.deploymentId, waiter.taskToken);
      results.push({ outcome: 'unknown', deploymentId: waiter.deploymentId, reason: 'waiter expired' });
      continue;
    }
    results.push(await checkWaiter(waiter, deps));
  }
  return results;
}

async function checkWaiter(waiter: DeploymentWaiter, deps: SettleDeploymentDeps): Promise<Settlement> {
  const service = await deps.platform.describeService(waiter.target);
  const deployment = service.deployments.find((d) => d.id === waiter.deploymentId);
  const state = deployment ? endingOfListed(deployment) : await endedStateOf(waiter, deps);
  if (state.outcome === 'pending') return { outcome: 'pending', deploymentId: waiter.deploymentId };
  return settle(waiter.deploymentId, state.outcome, state.reason, deps);
}

/**
 * Answers the waiting task first and removes its waiter after, so a throttled or failed callback leaves the
 * waiter for the next event or sweep instead of losing the token (the execution would then time out and
 * roll back a deployment that succeeded). The event and the sweep may both answer: Step Functions resumes
 * the task once and answers the other with TaskTimedOut, which the port reports as not delivered.
 */
async function settle(
  deploymentId: string,
  outcome: 'completed' | 'failed',
  reason: string | undefined,
  deps: SettleDeploymentDeps,
): Promise<Settlement> {
  const waiter = await deps.waiters.get(deploymentId);
  if (!waiter) return { outcome: 'unknown', deploymentId, reason: 'no execution waits for this deployment' };
  const delivered = await answer(waiter.taskToken, deploymentId, outcome, reason, deps).catch(
    (error: unknown) => {
      // Step Functions will never accept this token: keeping the waiter would only retry it until expiry.
      if ((error as Error | undefined)?.name === 'InvalidToken') return false;
      throw error;
    },
  );
  await deps.waiters.remove(deploymentId, waiter.taskToken);
  return { outcome, deploymentId, delivered, ...(reason && { reason }) };
}

function answer(
  taskToken: string,
  deploymentId: string,
  outcome: 'completed' | 'failed',
  reason: string | undefined,
  deps: SettleDeploymentDeps,
): Promise<boolean> {
  return outcome === 'completed'
    ? deps.executions.sendTaskSuccess(taskToken, { deploymentId, completedAt: deps.clock.now() })
    : deps.executions.sendTaskFailure(
        taskToken,
        ERROR_NAMES.deploymentFailed,
        `ECS deployment ${deploymentId} failed: ${reason ?? 'no reason given'}`,
      );
}

function outcomeOfEvent(eventName: string): 'completed' | 'failed' | undefined {
  if (eventName === 'SERVICE_DEPLOYMENT_COMPLETED') return 'completed';
  if (eventName === 'SERVICE_DEPLOYMENT_FAILED') return 'failed';
  return undefined;
}

/**
 * A deployment the service no longer lists was replaced by a newer one, after it completed or before: only
 * the service's deployment history tells which. Without a record of it, it did not take effect.
 */
async function endedStateOf(waiter: DeploymentWaiter, deps: SettleDeploymentDeps): Promise<DeploymentEnding> {
  const ended = await deps.platform.endedDeployment(waiter.target, {
    deploymentId: waiter.deploymentId,
    ...(waiter.taskDefinitionArn !== undefined && { taskDefinitionArn: waiter.taskDefinitionArn }),
    ...(waiter.since !== undefined && { since: waiter.since }),
  });
  return ended ?? { outcome: 'failed', reason: 'the deployment was replaced before it completed' };
}

/** How a deployment the service still lists stands: ECS's rollout state in the pipeline's words. */
export function endingOfListed(deployment: EcsDeploymentView): DeploymentEnding {
  if (deployment.rolloutState === 'COMPLETED') return { outcome: 'completed' };
  if (deployment.rolloutState === 'FAILED')
    return { outcome: 'failed', reason: deployment.rolloutStateReason ?? 'rollout failed' };
  return { outcome: 'pending' };
}
