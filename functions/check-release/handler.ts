import { EcsContainerPlatform } from '../../shared/aws/ecs.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import type { ContainerPlatform, DeploymentRecordStore } from '../../shared/ports/deployment';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { checkRelease } from '../../shared/use-cases/check-release';
import { checkReleaseSchema } from './check-release.schema';

/** "Check the release": refuses a version older than production's unless the tag event allowed it. */
export function createCheckRelease(deps: { platform: ContainerPlatform; records: DeploymentRecordStore }) {
  return async (event: unknown) => checkRelease(checkReleaseSchema.parse(event), deps);
}

export const handler = lambdaStep('check-release', () =>
  createCheckRelease({
    platform: new EcsContainerPlatform(),
    records: new DynamoDeploymentRecords({ table: lambdaPipelineTable() }),
  }),
);
