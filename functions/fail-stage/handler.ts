import * as z from 'zod';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { failStage } from '../../shared/use-cases/fail-stage';

const failure = z.object({ Error: z.string().min(1), Cause: z.string().optional() });
const failStageSchema = z.object({
  state: z.object({
    failure,
    failedAt: z.object({ redriveCount: z.number().int().min(0) }),
    rollback: z.object({ summary: z.string() }).optional(),
    rollbackFailure: failure.optional(),
  }),
  redriveCount: z.number().int().min(0),
});

/** "Stop the stage": fails the execution with the stage's error, or resumes the stage after a redrive. */
export function createFailStage() {
  return async (event: unknown) => {
    const { state, redriveCount } = failStageSchema.parse(event);
    return failStage(state, redriveCount);
  };
}

export const handler = lambdaStep('fail-stage', createFailStage);
