import type { PipelineConfig } from '../config/config.schema';
import { commitOfTag, DIGEST } from '../domain/image';
import { planStages } from '../domain/stage';
import type { ExecutionControl } from '../ports/deployment';
import type { EcrImageAction } from '../events/ecr-image-action.schema';
import { executionName } from './promotion';
import type { Promotion } from '../domain/promotion.schema';

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

  return startImagePromotion(
    {
      service: service.name,
      repository,
      tag,
      commit,
      digest,
      registry: `${event.account}.dkr.ecr.${event.region}.amazonaws.com`,
      trigger: { eventId: event.id, at: event.time },
    },
    deps,
  );
}

/** A pushed `sha-<commit>` image of a configured service, checked already. */
export interface PushedImage {
  service: string;
  repository: string;
  tag: string;
  commit: string;
  digest: string;
  /** Registry host, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com */
  registry: string;
  /** The push event's id (or what stands for it) and when the image was pushed. */
  trigger: { eventId: string; at: string };
}

/**
 * Starts the promotion of a pushed image under its deterministic name: what the push event starts, and what
 * the reconciliation sweep starts for a push whose event never arrived. Either way one image has one name,
 * so whichever comes second finds the execution the first one started.
 */
export async function startImagePromotion(
  image: PushedImage,
  deps: StartPromotionDeps,
): Promise<StartDecision> {
  const stages = planStages(deps.config, image.service, 'push');
  if (stages.length === 0) return ignored('no environment is triggered by an image push');

  const promotion: Promotion = {
    service: image.service,
    version: image.tag,
    commit: image.commit,
    image: { registry: image.registry, repository: image.repository, digest: image.digest },
    trigger: { kind: 'push', ...image.trigger },
    stages,
  };
  const name = promotionName(image);
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

/** The execution name of an image's promotion: repository's service, commit and digest. */
export function promotionName(image: Pick<PushedImage, 'service' | 'commit' | 'digest'>): string {
  return executionName('push', image.service, image.commit.slice(0, 12), image.digest.slice(7, 19));
}

function ignored(reason: string): StartDecision {
  return { started: false, reason };
}
