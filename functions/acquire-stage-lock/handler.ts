import { emittingDeliveryMetrics } from '../../shared/middleware/delivery-metrics';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type {
  ContainerPlatform,
  DeploymentLocks,
  DeploymentRecordStore,
} from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { acquireStageLock } from '../../shared/use-cases/stage-lock';
import { stageRunSchema } from '../../shared/domain/stage-run.schema';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';

/**
 * "Take the deployment lock": queues behind another deployment of the environment, skips if superseded,
 * or records the version without a redeploy where its digest already runs.
 */
export function createAcquireStageLock(deps: {
  locks: DeploymentLocks;
  records: DeploymentRecordStore;
  platform: ContainerPlatform;
  clock: Clock;
}) {
  return async (event: unknown) => acquireStageLock(stageRunSchema.parse(event), deps);
}

export const handler = lambdaStep('acquire-stage-lock', () =>
  createAcquireStageLock({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    records: emittingDeliveryMetrics(new DynamoDeploymentRecords({ table: lambdaPipelineTable() })),
    platform: new EcsContainerPlatform(),
    clock: systemClock,
  }),
);
