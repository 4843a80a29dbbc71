import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type {
  DeploymentLocks,
  DeploymentRecordStore,
  StageEvidenceStore,
} from '../../shared/ports/deployment';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { completeStage } from '../../shared/use-cases/complete-stage';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { releaseStageLockSchema } from './release-stage-lock.schema';

/**
 * "Release the deployment lock": records what the stage showed (for later approvers) and what now runs
 * there (the deployment record), and frees the
 * environment's lock, noting the version now deployed for supersede checks.
 */
export function createReleaseStageLock(deps: {
  locks: DeploymentLocks;
  evidence: StageEvidenceStore;
  records: DeploymentRecordStore;
  clock: Clock;
}) {
  return async (event: unknown) => completeStage(releaseStageLockSchema.parse(event), deps);
}

export const handler = lambdaStep('release-stage-lock', () =>
  createReleaseStageLock({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    evidence: new DynamoStageEvidenceStore({ table: lambdaPipelineTable() }),
    records: new DynamoDeploymentRecords({ table: lambdaPipelineTable() }),
    clock: systemClock,
  }),
);
