import type { PipelineConfig } from '../config/config.schema';
import { planStages } from '../domain/stage';
import type { ExecutionControl } from '../ports/deployment';
import { parseVersionTag, whyNotAVersion } from '../domain/version';
import type { TagCreatedDetail } from '../git-tags/tag-created.schema';
import { executionName } from './promotion';
import type { Release } from '../domain/release.schema';
import { serviceOfGitRepository } from '../config/git-repository';

export type StartReleaseDecision =
  | { started: true; executionArn: string; name: string; release: Release }
  | { started: false; reason: string; executionArn?: string };

export interface StartReleaseDeps {
  config: PipelineConfig;
  executions: ExecutionControl;
  releaseStateMachineArn: string;
}

/**
 * Turns a `Git Tag Created` event into at most one `release` execution.
 *
 * 1. Ignore tags that are not versions and repositories no service builds from (with why).
 * 2. Plan the stages a tag starts: the tag-triggered environments and the ones chained after them; a
 *    pre-release (v1.4.0-rc.1) stops after the tag-triggered environments (staging only).
 * 3. Start the execution under a name derived from service, tag and commit: a redelivered event or a
 *    second webhook delivery finds the execution it already started.
 */
export async function startRelease(
  tag: TagCreatedDetail,
  event: { id: string; time: string; account: string; region: string },
  deps: StartReleaseDeps,
): Promise<StartReleaseDecision> {
  const version = parseVersionTag(tag.tag);
  if (!version) return { started: false, reason: whyNotAVersion(tag.tag) };
  const service = serviceOfGitRepository(deps.config, tag.repository);
  if (!service)
    return {
      started: false,
      reason: `repository "${tag.repository}" is the gitRepository of no configured service`,
    };

  const tagEnvironments = new Set(
    deps.config.environments.filter((e) => e.trigger === 'tag').map((e) => e.name),
  );
  const stages = planStages(deps.config, service.name, 'tag').filter(
    (stage) => !version.prerelease || tagEnvironments.has(stage.environment),
  );
  if (stages.length === 0) return { started: false, reason: 'no environment is triggered by a git tag' };

  const release: Release = {
    service: service.name,
    version: tag.tag,
    commit: tag.commit,
    repository: service.ecrRepository,
    registry: `${event.account}.dkr.ecr.${event.region}.amazonaws.com`,
    registryRegion: event.region,
    prerelease: version.prerelease !== undefined,
    allowDowngrade: tag.allowDowngrade === true,
    imageWaitSeconds: Math.round(deps.config.releases.imageWaitMinutes * 60),
    trigger: {
      kind: 'tag',
      eventId: event.id,
      at: event.time,
      origin: tag.origin,
      allowDowngrade: tag.allowDowngrade === true,
      ...(tag.redeploy === true && { redeploy: true }),
      ...(tag.createdBy && { createdBy: tag.createdBy }),
      ...(tag.commitAt && { commitAt: tag.commitAt }),
    },
    stages,
  };
  // A deliberate downgrade is a different request from the refused one, and a redeploy from a release that
  // only recorded where the image already ran: each gets its own execution.
  const name = executionName(
    'release',
    service.name,
    tag.tag,
    tag.commit.slice(0, 8),
    ...(tag.allowDowngrade ? ['downgrade'] : []),
    ...(tag.redeploy ? ['redeploy'] : []),
  );
  const result = await deps.executions.startExecution({
    stateMachineArn: deps.releaseStateMachineArn,
    name,
    input: release,
  });
  if (result.alreadyExisted)
    return {
      started: false,
      reason: `duplicate: release ${name} already exists for ${tag.tag}`,
      executionArn: result.executionArn,
    };
  return { started: true, executionArn: result.executionArn, name, release };
}
