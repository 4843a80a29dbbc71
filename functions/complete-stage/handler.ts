import { emittingDeliveryMetrics } from '../../shared/middleware/delivery-metrics';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import { DynamoTrafficShiftLog } from '../../shared/aws/traffic-shift-log.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type {
  DeploymentLocks,
  DeploymentRecordStore,
  StageEvidenceStore,
} from '../../shared/ports/deployment';
import type { TrafficShiftLog } from '../../shared/ports/traffic-shift';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { completeStage } from '../../shared/use-cases/complete-stage';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { completeStageSchema } from './complete-stage.schema';

/**
 * "Complete the stage": records what the stage showed (smoke, bake, the traffic shift's steps; for later
 * approvers) and what now runs
 * there (the deployment record), and frees the
 * environment's lock, noting the version now deployed for supersede checks.
 */
export function createCompleteStage(deps: {
  locks: DeploymentLocks;
  evidence: StageEvidenceStore;
  records: DeploymentRecordStore;
  clock: Clock;
  trafficShifts?: Pick<TrafficShiftLog, 'get'>;
}) {
  return async (event: unknown) => completeStage(completeStageSchema.parse(event), deps);
}

export const handler = lambdaStep('complete-stage', () =>
  createCompleteStage({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    evidence: new DynamoStageEvidenceStore({ table: lambdaPipelineTable() }),
    records: emittingDeliveryMetrics(new DynamoDeploymentRecords({ table: lambdaPipelineTable() })),
    clock: systemClock,
    trafficShifts: new DynamoTrafficShiftLog({ table: lambdaPipelineTable() }),
  }),
);
