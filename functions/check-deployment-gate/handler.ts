import * as z from 'zod';
import { DynamoDeploymentFreezes } from '../../shared/aws/deployment-freezes.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import type { DeploymentFreezes } from '../../shared/domain/deployment-gate';
import { lambdaStep } from '../../shared/middleware/lambda-step';
import { checkDeploymentGate } from '../../shared/use-cases/check-deployment-gate';
import { stageRunSchema } from '../../shared/use-cases/stage-run.schema';
import { pipelineTableName } from '../../shared/wiring/lambda-environment';

/** The stage's state as it stands; `gate` is the previous check's result while the stage waits. */
const gateRunSchema = stageRunSchema.extend({
  gate: z
    .object({ waitingSince: z.number().optional(), checks: z.number().int().nonnegative().optional() })
    .optional(),
});

/** "Check the deployment gate": open, or frozen / outside the windows with when to look again. */
export function createCheckDeploymentGate(deps: { freezes: DeploymentFreezes; clock: Clock }) {
  return async (event: unknown) => checkDeploymentGate(gateRunSchema.parse(event), deps);
}

export const handler = lambdaStep('check-deployment-gate', () =>
  createCheckDeploymentGate({
    freezes: new DynamoDeploymentFreezes({ tableName: pipelineTableName() }),
    clock: systemClock,
  }),
);
