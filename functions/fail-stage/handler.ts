import * as z from 'zod';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import type { DeploymentLocks } from '../../shared/domain/ports';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { failStage } from '../../shared/use-cases/fail-stage';
import { releaseStageLock } from '../../shared/use-cases/stage-lock';
import { stageSchema, triggerSchema } from '../../shared/use-cases/stage-run.schema';
import { pipelineTableName } from '../../shared/wiring/lambda-environment';

const failure = z.object({ Error: z.string().min(1), Cause: z.string().optional() });
const failStageSchema = z.object({
  state: z.object({
    failure,
    failedAt: z.object({ redriveCount: z.number().int().min(0) }),
    rollback: z.object({ summary: z.string() }).optional(),
    rollbackFailure: failure.optional(),
  }),
  executionName: z.string().min(1).max(80),
  trigger: triggerSchema,
  service: z.string().min(1),
  version: z.string().min(1),
  stage: stageSchema,
  redriveCount: z.number().int().min(0),
});

/**
 * "Stop the stage": fails the execution with the stage's error (freeing the environment's deployment
 * lock first, the rollback being done), or resumes the stage after a redrive.
 */
export function createFailStage(deps: { locks: DeploymentLocks }) {
  return async (event: unknown) => {
    const input = failStageSchema.parse(event);
    try {
      return failStage(input.state, input.redriveCount);
    } catch (error) {
      await releaseStageLock(input, false, deps);
      throw error;
    }
  };
}

export const handler = lambdaStep('fail-stage', () =>
  createFailStage({ locks: new DynamoDeploymentLocks({ tableName: pipelineTableName() }) }),
);
