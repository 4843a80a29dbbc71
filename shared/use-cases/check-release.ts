import { DowngradeRefusedError } from '../domain/errors';
import type { ContainerPlatform, DeploymentRecordStore } from '../ports/deployment';
import { imageUri } from '../domain/image';
import { compareVersions, parseVersionTag, type ReleaseVersion } from '../domain/version';
import { DEPLOYED_ENV } from '../domain/deployment-record';
import type { Release } from '../domain/release.schema';

export interface ReleaseCheck {
  /** The newest release version the final environment runs now, per region (undefined: none yet). */
  running: { region: string; version?: string }[];
  downgrade: boolean;
}

/**
 * Stops an accidental downgrade before staging: the release's version must not be older than the one the
 * final environment (production) runs in any of its regions, unless the tag event allowed it. Reads what
 * actually runs (the version the pipeline set on the container), so hand-made deployments count too, and
 * the version recorded there without a redeploy when that is the very image ECS runs (two tags on one
 * commit: v1.4.1 recorded where v1.4.0's image runs makes v1.4.0 the older one).
 */
export async function checkRelease(
  release: Pick<Release, 'version' | 'allowDowngrade' | 'stages'> & { service?: string },
  deps: { platform: ContainerPlatform; records: DeploymentRecordStore },
): Promise<ReleaseCheck> {
  const version = parseVersionTag(release.version);
  if (!version) throw new DowngradeRefusedError(`"${release.version}" is not a release version`);
  const last = release.stages.at(-1)?.environment;
  const finalStages = release.stages.filter((s) => s.environment === last);

  // An execution started before `service` was passed here reads ECS alone.
  const recorded = release.service ? await deps.records.running(release.service) : [];
  const running: ReleaseCheck['running'] = [];
  for (const stage of finalStages) {
    const service = await deps.platform.describeService(stage);
    const taskDefinition = await deps.platform.describeTaskDefinition(
      stage.region,
      service.taskDefinitionArn,
    );
    const container = taskDefinition.containers.find((c) => c.name === stage.container);
    const names = [
      container?.environment[DEPLOYED_ENV.version],
      recorded.find(
        (r) =>
          r.environment === stage.environment &&
          r.region === stage.region &&
          r.outcome === 'already running' &&
          !!r.registry &&
          !!r.repository &&
          imageUri({ registry: r.registry, repository: r.repository, digest: r.digest }) === container?.image,
      )?.version,
    ].filter((v): v is string => !!v);
    const deployed = highest(names);
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

/** The highest release version of the names (`sha-…` and other names do not compare), else the first. */
function highest(names: string[]): string | undefined {
  const versions = names.map((n) => ({ n, v: parseVersionTag(n) }));
  const best = versions
    .filter((x): x is { n: string; v: ReleaseVersion } => !!x.v)
    .sort((a, b) => compareVersions(b.v, a.v))[0];
  return best?.n ?? names[0];
}
