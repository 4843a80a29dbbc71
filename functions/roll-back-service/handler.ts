import * as z from 'zod';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { rollBackService, type RollBackServiceDeps } from '../../shared/use-cases/roll-back-service';
import { stageRunSchema } from '../../shared/use-cases/stage-run.schema';
import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { DynamoStageRecordStore } from '../../shared/aws/stage-records.adapter';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';

// The rollback acts on the stage alone: it must work whatever state the failed step left behind.
const rollBackSchema = stageRunSchema.pick({ executionName: true, stage: true }).extend({
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

/** "Roll back region": restores the revision recorded before this execution deployed. */
export function createRollBackService(deps: RollBackServiceDeps) {
  return async (event: unknown) => rollBackService(rollBackSchema.parse(event), deps);
}

export const handler = lambdaStep('roll-back-service', () =>
  createRollBackService({
    platform: new EcsContainerPlatform(),
    stageRecords: new DynamoStageRecordStore({ table: lambdaPipelineTable() }),
  }),
);
