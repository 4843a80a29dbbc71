import { StepFunctionsExecutionControl } from '../../shared/aws/step-functions.adapter';
import { eventEnvelopeSchema, parseEvent } from '../../shared/events/event-envelope.schema';
import { normalizeCodeCommitTag, tagCreatedEventSchema } from '../../shared/git-tags/tag-created.schema';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import {
  startRelease,
  type StartReleaseDecision,
  type StartReleaseDeps,
} from '../../shared/use-cases/start-release';
import { releaseStateMachineArn } from '../../shared/wiring/lambda-environment';
import { pipelineConfig } from '../../shared/wiring/pipeline-config';

/**
 * Target of the tag rules: `Git Tag Created` on the pipeline bus (GitHub webhook, any CI) and CodeCommit
 * tag creations on the default bus, normalized here to the same detail. At most one release per tag.
 */
export function createStartRelease(deps: StartReleaseDeps) {
  return async (event: unknown): Promise<StartReleaseDecision> => {
    const envelope = parseEvent(eventEnvelopeSchema, event, 'tag event');
    let decision: StartReleaseDecision;
    if (envelope.source === 'aws.codecommit') {
      const normalized = normalizeCodeCommitTag(event);
      decision = normalized.ok
        ? await startRelease(normalized.detail, envelope, deps)
        : { started: false, reason: normalized.reason };
    } else {
      const tag = parseEvent(tagCreatedEventSchema, event, 'Git Tag Created event');
      decision = await startRelease(tag.detail, tag, deps);
    }
    if (decision.started) logger.info('release started', { executionArn: decision.executionArn });
    else logger.info('no release started', { reason: decision.reason, eventId: envelope.id });
    return decision;
  };
}

export const handler = lambdaStep('start-release', () =>
  createStartRelease({
    config: pipelineConfig(),
    executions: new StepFunctionsExecutionControl(),
    releaseStateMachineArn: releaseStateMachineArn(),
  }),
);
