import type { PipelineConfig } from '../config/config.schema';
import { commitOfTag, DIGEST } from '../domain/image';
import { planStages } from '../domain/stage';
import type { ExecutionControl } from '../domain/ports';
import type { EcrImageAction } from '../events/ecr-image-action.schema';
import { executionName, type Promotion } from './promotion';

export type StartDecision =
  | { started: true; executionArn: string; name: string; promotion: Promotion }
  | { started: false; reason: string; executionArn?: string };

export interface StartPromotionDeps {
  config: PipelineConfig;
  executions: ExecutionControl;
  promoteStateMachineArn: string;
}

/**
 * Turns an ECR push into at most one `promote` execution.
 *
 * 1. Ignore what is not a successful push of a `sha-<commit>` tag to a configured repository (with why).
 * 2. Plan the stages that an image push starts, from the configuration.
 * 3. Start the execution under a name derived from repository, commit and digest, so a redelivered
 *    event finds the execution it already started instead of starting a second one.
 */
export async function startPromotion(
  event: EcrImageAction,
  deps: StartPromotionDeps,
): Promise<StartDecision> {
  const { detail } = event;
  const repository = detail['repository-name'];
  const tag = detail['image-tag'];
  const digest = detail['image-digest'];

  if (detail['action-type'] !== 'PUSH') return ignored(`action ${detail['action-type']} is not a push`);
  if (detail.result !== 'SUCCESS') return ignored(`push of ${repository}:${tag ?? '?'} did not succeed`);
  const service = deps.config.services.find((s) => s.ecrRepository === repository);
  if (!service) return ignored(`repository "${repository}" belongs to no configured service`);
  if (!tag) return ignored(`push to ${repository} has no tag (untagged pushes are not deployed)`);
  const commit = commitOfTag(tag);
  if (!commit) return ignored(`tag "${tag}" is not sha-<commit>; only commit builds deploy`);
  if (!digest || !DIGEST.test(digest)) return ignored(`push of ${repository}:${tag} has no sha256 digest`);

  const stages = planStages(deps.config, service.name, 'push');
  if (stages.length === 0) return ignored('no environment is triggered by an image push');

  const promotion: Promotion = {
    service: service.name,
    version: tag,
    commit,
    image: { registry: `${event.account}.dkr.ecr.${event.region}.amazonaws.com`, repository, digest },
    trigger: { kind: 'push', eventId: event.id, at: event.time },
    stages,
  };
  const name = executionName('push', service.name, commit.slice(0, 12), digest.slice(7, 19));
  const result = await deps.executions.startExecution({
    stateMachineArn: deps.promoteStateMachineArn,
    name,
    input: promotion,
  });
  if (result.alreadyExisted)
    return {
      started: false,
      reason: `duplicate delivery: execution ${name} already exists`,
      executionArn: result.executionArn,
    };
  return { started: true, executionArn: result.executionArn, name, promotion };
}

function ignored(reason: string): StartDecision {
  return { started: false, reason };
}
