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

describe('LocalContainerPlatform deployment history', () => {
  /** Three revisions rolled out one after another, each to completion: the first has left the list by then. */
  async function threeCompletedDeployments() {
    const { clock, platform, first } = platformWithService();
    const revisions = [];
    for (const image of ['a', 'b', 'c']) {
      const revision = await platform.registerRevision('eu-west-1', first, 'app', { image, environment: {} });
      const { deploymentId } = await platform.updateService(PPE, revision.arn);
      revisions.push({ arn: revision.arn, deploymentId, since: clock.now() });
      await clock.advance(90_000);
    }
    return { clock, platform, first, revisions };
  }

  it('finds a deployment that left the list by the revision it rolled out, like ECS', async () => {
    // Prepare
    const { platform, revisions } = await threeCompletedDeployments();
    const [a] = revisions;
    expect((await platform.describeService(PPE)).deployments.map((d) => d.id)).not.toContain(a!.deploymentId);

    // Act
    const ending = await platform.endedDeployment(PPE, {
      deploymentId: a!.deploymentId,
      taskDefinitionArn: a!.arn,
      since: a!.since,
    });

    // Assess
    expect(ending).toEqual({ outcome: 'completed' });
  });

  it('without the revision it finds nothing, as the ECS adapter does (the id is not ECS history’s)', async () => {
    // Prepare
    const { platform, revisions } = await threeCompletedDeployments();

    // Act
    const ending = await platform.endedDeployment(PPE, { deploymentId: revisions[0]!.deploymentId });

    // Assess
    expect(ending).toBeUndefined();
  });

  it('finds nothing for a revision deployed before `since` (less a minute of clock skew)', async () => {
    // Prepare
    const { clock, platform, revisions } = await threeCompletedDeployments();

    // Act
    const ending = await platform.endedDeployment(PPE, {
      deploymentId: revisions[0]!.deploymentId,
      taskDefinitionArn: revisions[0]!.arn,
      since: clock.now(),
    });

    // Assess
    expect(ending).toBeUndefined();
  });

  it('says a deployment replaced while it rolled out failed, and keeps the history across a restart', async () => {
    // Prepare
    const { clock, platform, first } = platformWithService();
    const next = await platform.registerRevision('eu-west-1', first, 'app', { image: 'a', environment: {} });
    const since = clock.now();
    const { deploymentId } = await platform.updateService(PPE, next.arn);
    await clock.advance(30_000);
    await platform.updateService(PPE, first);
    await clock.advance(90_000);
    platform.stop();
    const restarted = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
    restarted.restore(platform.snapshot());

    // Act
    const ending = await restarted.endedDeployment(PPE, { deploymentId, taskDefinitionArn: next.arn, since });

    // Assess
    expect(ending).toEqual({ outcome: 'failed', reason: 'the deployment was replaced before it completed' });
  });
});
