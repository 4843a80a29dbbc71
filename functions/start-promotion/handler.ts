import { ecrImageActionSchema } from '../../shared/events/ecr-image-action.schema';
import { parseEvent } from '../../shared/events/event-envelope.schema';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import {
  startPromotion,
  type StartDecision,
  type StartPromotionDeps,
} from '../../shared/use-cases/start-promotion';
import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { promoteStateMachineArn } from '../../shared/wiring/lambda-environment';
import { pipelineConfig } from '../../shared/wiring/pipeline-config';

/** Target of the ECR push rule: at most one `promote` execution per pushed image. */
export function createStartPromotion(deps: StartPromotionDeps) {
  return async (event: unknown): Promise<StartDecision> => {
    const push = parseEvent(ecrImageActionSchema, event, 'ECR Image Action event');
    const decision = await startPromotion(push, deps);
    if (decision.started) logger.info('promotion started', { executionArn: decision.executionArn });
    else logger.info('no promotion started', { reason: decision.reason, eventId: push.id });
    return decision;
  };
}

export const handler = lambdaStep('start-promotion', () =>
  createStartPromotion({
    config: pipelineConfig(),
    executions: new StepFunctionsExecutionControl(),
    promoteStateMachineArn: promoteStateMachineArn(),
  }),
);
