import { emittingDeliveryMetrics } from '../../shared/middleware/delivery-metrics';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoStageRecordStore } from '../../shared/aws/stage-records.adapter';
import { systemClock } from '../../shared/clock';
import { lambdaStep, logger } from '../../shared/middleware/lambda-step';
import { stopStage, type StopStageDeps } from '../../shared/use-cases/stop-stage';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { awsNotifier } from '../../shared/wiring/notifier';
import { stopStageSchema } from './stop-stage.schema';

/**
 * "Stop the stage": fails the execution with the stage's error (recording how the stage ended, telling the
 * notification channels, and freeing the environment's deployment lock first when the rollback is done; a
 * failed rollback keeps it), or resumes the stage after a redrive. A notification that cannot be delivered
 * is logged and changes nothing else.
 */
export function createStopStage(deps: Omit<StopStageDeps, 'log'>) {
  return async (event: unknown) => stopStage(stopStageSchema.parse(event), { ...deps, log: logger });
}

export const handler = lambdaStep('stop-stage', () =>
  createStopStage({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    approvals: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    records: emittingDeliveryMetrics(new DynamoDeploymentRecords({ table: lambdaPipelineTable() })),
    stageRecords: new DynamoStageRecordStore({ table: lambdaPipelineTable() }),
    clock: systemClock,
    notifications: awsNotifier(),
  }),
);
