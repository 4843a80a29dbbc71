import { DowngradeRefusedError } from '../domain/errors';
import type { ContainerPlatform } from '../ports/deployment';
import { compareVersions, parseVersionTag, type ReleaseVersion } from '../domain/version';
import { DEPLOYED_ENV } from './deploy-service';
import type { Release } from '../domain/release.schema';

export interface ReleaseCheck {
  /** The newest release version the final environment runs now, per region (undefined: none yet). */
  running: { region: string; version?: string }[];
  downgrade: boolean;
}

/**
 * Stops an accidental downgrade before staging: the release's version must not be older than the one the
 * final environment (production) runs in any of its regions, unless the tag event allowed it. Reads what
 * actually runs (the version the pipeline set on the container), so hand-made deployments count too.
 */
export async function checkRelease(
  release: Pick<Release, 'version' | 'allowDowngrade' | 'stages'>,
  deps: { platform: ContainerPlatform },
): Promise<ReleaseCheck> {
  const version = parseVersionTag(release.version);
  if (!version) throw new DowngradeRefusedError(`"${release.version}" is not a release version`);
  const last = release.stages.at(-1)?.environment;
  const finalStages = release.stages.filter((s) => s.environment === last);

  const running: ReleaseCheck['running'] = [];
  for (const stage of finalStages) {
    const service = await deps.platform.describeService(stage);
    const taskDefinition = await deps.platform.describeTaskDefinition(
      stage.region,
      service.taskDefinitionArn,
    );
    const deployed = taskDefinition.containers.find((c) => c.name === stage.container)?.environment[
      DEPLOYED_ENV.version
    ];
    running.push({ region: stage.region, ...(deployed && { version: deployed }) });
  }

  const newer = running
    .map((r) => ({ region: r.region, version: r.version ? parseVersionTag(r.version) : undefined }))
    .filter(
      (r): r is { region: string; version: ReleaseVersion } =>
        !!r.version && compareVersions(version, r.version) < 0,
    );
  if (newer.length > 0 && !release.allowDowngrade)
    throw new DowngradeRefusedError(
      `${release.version} is older than what ${last} runs (${newer.map((n) => `${n.version.tag} in ${n.region}`).join(', ')}); ` +
        'nothing was deployed. To go back on purpose, send the tag event with "allowDowngrade": true, or roll back.',
    );
  return { running, downgrade: newer.length > 0 };
}
