import { ManualClock } from '../../shared/clock';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';

const PPE = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };

function platformWithService() {
  const clock = new ManualClock(0);
  const platform = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
  const first = platform.seedService(PPE, { name: 'app', image: 'orders-api:bootstrap' });
  return { clock, platform, first };
}

describe('LocalContainerPlatform overlaps', () => {
  it('when a service is updated while its deployment still rolls out, it records the overlap', async () => {
    // Prepare
    const { clock, platform, first } = platformWithService();
    const next = await platform.registerRevision('eu-west-1', first, 'app', { image: 'a', environment: {} });
    const { deploymentId: rolling } = await platform.updateService(PPE, next.arn);
    await clock.advance(30_000);

    // Act
    const { deploymentId: started } = await platform.updateService(PPE, first);

    // Assess
    expect(platform.overlaps).toEqual([
      {
        target: PPE,
        at: 30_000,
        inProgress: rolling,
        started,
        inProgressTaskDefinitionArn: next.arn,
        startedTaskDefinitionArn: first,
        servingTaskDefinitionArn: first,
      },
    ]);
    platform.stop();
  });

  it('when each update waits for the one before to complete, it records none', async () => {
    // Prepare
    const { clock, platform, first } = platformWithService();
    const next = await platform.registerRevision('eu-west-1', first, 'app', { image: 'a', environment: {} });

    // Act
    await platform.updateService(PPE, next.arn);
    await clock.advance(90_000);
    await platform.updateService(PPE, first);
    await clock.advance(90_000);

    // Assess
    expect(platform.overlaps).toEqual([]);
    expect(platform.deploymentsInProgress).toBe(0);
  });
});
