import type { DeploymentWaiter, DeploymentWaiterStore, EcsTarget } from '../ports/deployment';
import { PIPELINE_TABLE } from './pipeline-table';
import {
  getWaiter,
  listWaiters,
  putWaiter,
  removeWaiter,
  takeWaiter,
  taskTokenWaiters,
  type TaskTokenWaiters,
  type TaskTokenWaitersOptions,
} from './task-token-waiters';

export type DynamoDeploymentWaiterStoreOptions = TaskTokenWaitersOptions;

/**
 * Deployment waiters in the pipeline table, all under one partition (`DEPLOYMENT_WAITER`) keyed by ECS
 * deployment id, so the sweep lists them with one Query: there are only as many as deployments in flight.
 * `take` is a conditional delete returning the old item, which DynamoDB applies once: of the ECS event and
 * the sweep racing for the same waiter, exactly one gets it and resumes the execution. Expiry is kept in
 * milliseconds for the domain (`expiresAtMs`) and in seconds in the TTL attribute for DynamoDB. The table
 * work is {@link TaskTokenWaiters}'.
 */
export class DynamoDeploymentWaiterStore implements DeploymentWaiterStore {
  private readonly waiters: TaskTokenWaiters<DeploymentWaiter, string>;

  constructor(options: DynamoDeploymentWaiterStoreOptions) {
    this.waiters = taskTokenWaiters(options, {
      partition: 'DEPLOYMENT_WAITER',
      sortKey: (deploymentId) => deploymentId,
      toItem: (waiter) => ({
        deploymentId: waiter.deploymentId,
        taskToken: waiter.taskToken,
        target: {
          region: waiter.target.region,
          cluster: waiter.target.cluster,
          service: waiter.target.service,
        },
        expiresAtMs: waiter.expiresAt,
        ...(waiter.taskDefinitionArn !== undefined && { taskDefinitionArn: waiter.taskDefinitionArn }),
        ...(waiter.since !== undefined && { sinceMs: waiter.since }),
      }),
      fromItem: toWaiter,
      deleteAfter: (waiter) => waiter.expiresAt,
      describe: (deploymentId) => `the waiter for deployment ${deploymentId}`,
      plural: 'the deployment waiters',
    });
  }

  put(waiter: DeploymentWaiter): Promise<void> {
    return putWaiter(this.waiters, waiter.deploymentId, waiter);
  }

  get(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    return getWaiter(this.waiters, deploymentId);
  }

  take(deploymentId: string): Promise<DeploymentWaiter | undefined> {
    return takeWaiter(this.waiters, deploymentId);
  }

  remove(deploymentId: string, taskToken: string): Promise<void> {
    return removeWaiter(this.waiters, deploymentId, taskToken);
  }

  list(): Promise<DeploymentWaiter[]> {
    return listWaiters(this.waiters);
  }
}

function toWaiter(item: Record<string, unknown>): DeploymentWaiter {
  const target = (item.target ?? {}) as Partial<EcsTarget>;
  return {
    deploymentId: String(item.deploymentId ?? item[PIPELINE_TABLE.sortKey]),
    taskToken: String(item.taskToken),
    target: {
      region: String(target.region),
      cluster: String(target.cluster),
      service: String(target.service),
    },
    expiresAt: Number(item.expiresAtMs),
    ...(typeof item.taskDefinitionArn === 'string' && { taskDefinitionArn: item.taskDefinitionArn }),
    ...(item.sinceMs !== undefined && { since: Number(item.sinceMs) }),
  };
}
