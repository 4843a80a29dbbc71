import { lambdaStep } from '../../shared/middleware/lambda-step';
import { rollBackService, type RollBackServiceDeps } from '../../shared/use-cases/roll-back-service';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { EcsServiceDeployments } from '../../shared/aws/ecs-strategies.adapter';
import { DynamoStageRecordStore } from '../../shared/aws/stage-records.adapter';
import { DynamoTrafficShiftLog } from '../../shared/aws/traffic-shift-log.adapter';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { trafficShiftHook } from '../../shared/wiring/traffic-shift-hook';
import { rollBackServiceSchema } from './roll-back-service.schema';

/** "Roll back region": restores the revision recorded before this execution deployed. */
export function createRollBackService(deps: RollBackServiceDeps) {
  return async (event: unknown) => rollBackService(rollBackServiceSchema.parse(event), deps);
}

export const handler = lambdaStep('roll-back-service', () =>
  createRollBackService({
    platform: new EcsContainerPlatform(),
    stageRecords: new DynamoStageRecordStore({ table: lambdaPipelineTable() }),
    // Stages that shift traffic: back to blue while it still runs, else the previous revision as blue/green.
    serviceDeployments: new EcsServiceDeployments(),
    trafficShiftHook: trafficShiftHook(),
    // A failed shift's numbers (the hook's cause) go into the stage's cause: ECS only says the hook failed.
    shiftLog: new DynamoTrafficShiftLog({ table: lambdaPipelineTable() }),
  }),
);
