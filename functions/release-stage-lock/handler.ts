import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import type { DeploymentLocks } from '../../shared/domain/ports';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { releaseStageLock } from '../../shared/use-cases/stage-lock';
import { stageRunSchema } from '../../shared/use-cases/stage-run.schema';
import { pipelineTableName } from '../../shared/wiring/lambda-environment';

/** "Release the deployment lock": the stage is deployed; records its version for supersede checks. */
export function createReleaseStageLock(deps: { locks: DeploymentLocks }) {
  return async (event: unknown) => releaseStageLock(stageRunSchema.parse(event), true, deps);
}

export const handler = lambdaStep('release-stage-lock', () =>
  createReleaseStageLock({ locks: new DynamoDeploymentLocks({ tableName: pipelineTableName() }) }),
);
