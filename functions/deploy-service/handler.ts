import { lambdaStep } from '../../shared/middleware/lambda-step';
import { deployService, type DeployServiceDeps } from '../../shared/use-cases/deploy-service';
import { stageRunSchema } from '../../shared/domain/stage-run.schema';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { DynamoStageRecordStore } from '../../shared/aws/stage-records.adapter';
import { systemClock } from '../../shared/clock';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { trafficShiftHook } from '../../shared/wiring/traffic-shift-hook';

/** "Deploy to region": registers the digest-pinned revision and updates the ECS service. */
export function createDeployService(deps: DeployServiceDeps) {
  return async (event: unknown) => deployService(stageRunSchema.parse(event), deps);
}

export const handler = lambdaStep('deploy-service', () =>
  createDeployService({
    platform: new EcsContainerPlatform(),
    stageRecords: new DynamoStageRecordStore({ table: lambdaPipelineTable() }),
    clock: systemClock,
    trafficShiftHook: trafficShiftHook(),
  }),
);
