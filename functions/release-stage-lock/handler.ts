import * as z from 'zod';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type { DeploymentRecordStore } from '../../shared/domain/deployment-record';
import type { DeploymentLocks, StageEvidenceStore } from '../../shared/domain/ports';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { completeStage } from '../../shared/use-cases/complete-stage';
import { stageRunSchema } from '../../shared/use-cases/stage-run.schema';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';

const completeStageSchema = stageRunSchema.extend({
  smoke: z.array(
    z.object({
      name: z.string(),
      url: z.string(),
      passed: z.boolean(),
      status: z.number().optional(),
      latencyMs: z.number().optional(),
      problem: z.string().optional(),
    }),
  ),
  bake: z.object({
    watched: z.object({ names: z.array(z.string()), prefixes: z.array(z.string()) }),
    from: z.number(),
    to: z.number(),
    breaches: z.array(z.object({ alarmName: z.string(), at: z.number(), reason: z.string() })),
  }),
});

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
  return async (event: unknown) => completeStage(completeStageSchema.parse(event), deps);
}

export const handler = lambdaStep('release-stage-lock', () =>
  createReleaseStageLock({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    evidence: new DynamoStageEvidenceStore({ table: lambdaPipelineTable() }),
    records: new DynamoDeploymentRecords({ table: lambdaPipelineTable() }),
    clock: systemClock,
  }),
);
