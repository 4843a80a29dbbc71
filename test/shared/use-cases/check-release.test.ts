import { ManualClock } from '../../../shared/clock';
import { DowngradeRefusedError } from '../../../shared/domain/errors';
import { planStages } from '../../../shared/domain/stage';
import { checkRelease, type ReleaseCheck } from '../../../shared/use-cases/check-release';
import { DEPLOYED_ENV } from '../../../shared/domain/deployment-record';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryDeploymentRecords, rejectionOf } from '../../support/fakes';
import { sampleConfig } from '../../support/fixtures';

/**
 * check-release (shared/use-cases/check-release.ts): a release older than what production runs in any
 * region is refused before staging, unless the tag event allowed the downgrade. The local ECS stand-in
 * holds what each region runs (the version the pipeline set on the container).
 */
const STAGES = planStages(sampleConfig(), 'orders-api', 'tag');

/** The local ECS with orders-api in every stage; `runs` sets the version each target's container carries. */
async function platformRunning(
  runs: Record<string, string>,
  options: { stages?: typeof STAGES; container?: string } = {},
): Promise<LocalContainerPlatform> {
  const platform = new LocalContainerPlatform({ clock: new ManualClock() });
  for (const stage of options.stages ?? STAGES) {
    const container = options.container ?? stage.container;
    const seeded = platform.seedService(stage, { name: container, image: 'orders-api:bootstrap' });
    const version = runs[`${stage.environment}/${stage.region}`];
    if (!version) continue;
    const revision = await platform.registerRevision(stage.region, seeded, container, {
      image: `orders-api@sha256:${'a'.repeat(64)}`,
      environment: { [DEPLOYED_ENV.version]: version },
    });
    await platform.updateService(stage, revision.arn);
  }
  platform.stop();
  return platform;
}

const ALL_PROD = (version: string) => ({
  'prod/eu-west-1': version,
  'prod/us-east-1': version,
  'prod/ap-southeast-2': version,
});

async function check(
  version: string,
  runs: Record<string, string>,
  allowDowngrade = false,
): Promise<ReleaseCheck | string> {
  const platform = await platformRunning(runs);
  try {
    return await checkRelease(
      { version, allowDowngrade, stages: STAGES },
      { platform, records: new InMemoryDeploymentRecords() },
    );
  } catch (error) {
    if (error instanceof DowngradeRefusedError) return `${error.name}: ${error.message}`;
    throw error;
  }
}

const running = (eu?: string, us?: string, ap?: string): ReleaseCheck['running'] =>
  (
    [
      ['eu-west-1', eu],
      ['us-east-1', us],
      ['ap-southeast-2', ap],
    ] as const
  ).map(([region, version]) => ({ region, ...(version && { version }) }));

describe('check-release', () => {
  it.each<[string, string, Record<string, string>, boolean, ReleaseCheck | string]>([
    ['a first release', 'v1.0.0', {}, false, { running: running(), downgrade: false }],
    [
      'a newer release',
      'v1.3.0',
      ALL_PROD('v1.2.0'),
      false,
      { running: running('v1.2.0', 'v1.2.0', 'v1.2.0'), downgrade: false },
    ],
    [
      'the release production runs',
      'v1.2.0',
      ALL_PROD('v1.2.0'),
      false,
      { running: running('v1.2.0', 'v1.2.0', 'v1.2.0'), downgrade: false },
    ],
    [
      'an older release',
      'v1.1.9',
      ALL_PROD('v1.2.0'),
      false,
      'DowngradeRefused: v1.1.9 is older than what prod runs (v1.2.0 in eu-west-1, v1.2.0 in us-east-1, v1.2.0 in ap-southeast-2); ' +
        'nothing was deployed. To go back on purpose, send the tag event with "allowDowngrade": true, or roll back.',
    ],
    [
      'an older release the tag event allows',
      'v1.1.9',
      ALL_PROD('v1.2.0'),
      true,
      { running: running('v1.2.0', 'v1.2.0', 'v1.2.0'), downgrade: true },
    ],
    [
      'a release older than one production region only',
      'v1.2.5',
      { 'prod/eu-west-1': 'v1.2.0', 'prod/us-east-1': 'v1.3.0' },
      false,
      'DowngradeRefused: v1.2.5 is older than what prod runs (v1.3.0 in us-east-1); ' +
        'nothing was deployed. To go back on purpose, send the tag event with "allowDowngrade": true, or roll back.',
    ],
    [
      'the pre-release of what production runs',
      'v1.3.0-rc.1',
      ALL_PROD('v1.3.0'),
      false,
      'DowngradeRefused: v1.3.0-rc.1 is older than what prod runs (v1.3.0 in eu-west-1, v1.3.0 in us-east-1, v1.3.0 in ap-southeast-2); ' +
        'nothing was deployed. To go back on purpose, send the tag event with "allowDowngrade": true, or roll back.',
    ],
    [
      'the release of the pre-release production runs',
      'v1.3.0',
      ALL_PROD('v1.3.0-rc.1'),
      false,
      { running: running('v1.3.0-rc.1', 'v1.3.0-rc.1', 'v1.3.0-rc.1'), downgrade: false },
    ],
    [
      'a release while staging runs a newer one',
      'v1.2.0',
      { 'staging/eu-west-1': 'v2.0.0' },
      false,
      { running: running(), downgrade: false },
    ],
    [
      'a release while production runs a push build',
      'v1.0.0',
      ALL_PROD('sha-0123456789ab'),
      false,
      { running: running('sha-0123456789ab', 'sha-0123456789ab', 'sha-0123456789ab'), downgrade: false },
    ],
    ['a tag that is no version', 'v1.2', {}, false, 'DowngradeRefused: "v1.2" is not a release version'],
  ])('when %s (%s) is checked, the result is exact', async (_what, version, runs, allow, expected) => {
    expect(await check(version, runs, allow)).toEqual(expected);
  });

  it('when production runs a newer version only in a container of another name, the release goes ahead: only the service’s own container counts', async () => {
    // Prepare: every production region runs a task definition whose only container is a sidecar
    const platform = await platformRunning(ALL_PROD('v2.0.0'), { container: 'log-router' });

    // Act
    const result = await checkRelease(
      { version: 'v1.2.0', allowDowngrade: false, stages: STAGES },
      { platform, records: new InMemoryDeploymentRecords() },
    );

    // Assess
    expect(result).toEqual({ running: running(), downgrade: false });
  });

  it('when the release passes PPE first, only the last environment (production) is compared, not the second stage', async () => {
    // Prepare: PPE, staging and production; staging runs a newer version, production an older one
    const stages = [...planStages(sampleConfig(), 'orders-api', 'push'), ...STAGES];
    const platform = await platformRunning(
      { 'staging/eu-west-1': 'v2.0.0', 'ppe/eu-west-1': 'v2.0.0', ...ALL_PROD('v1.0.0') },
      { stages },
    );

    // Act
    const result = await checkRelease(
      { version: 'v1.2.0', allowDowngrade: false, stages },
      { platform, records: new InMemoryDeploymentRecords() },
    );

    // Assess
    expect(stages.map((s) => s.environment)).toEqual(['ppe', 'staging', 'prod', 'prod', 'prod']);
    expect(result).toEqual({ running: running('v1.0.0', 'v1.0.0', 'v1.0.0'), downgrade: false });
  });

  it('when a release has no stages, nothing is compared and it goes ahead', async () => {
    const platform = await platformRunning({});
    await expect(
      checkRelease(
        { version: 'v1.2.0', allowDowngrade: false, stages: [] },
        { platform, records: new InMemoryDeploymentRecords() },
      ),
    ).resolves.toEqual({ running: [], downgrade: false });
  });

  it('when a region cannot be described, the error is the platform’s and nothing is decided', async () => {
    // Prepare: production's last region has no service
    const platform = await platformRunning(ALL_PROD('v1.2.0'));
    const stages = [...STAGES, { ...STAGES.at(-1)!, region: 'sa-east-1' }];

    // Act
    const error = await rejectionOf(
      checkRelease(
        { version: 'v1.3.0', allowDowngrade: false, stages },
        { platform, records: new InMemoryDeploymentRecords() },
      ),
    );

    // Assess
    expect(error).not.toBeInstanceOf(DowngradeRefusedError);
  });
});
