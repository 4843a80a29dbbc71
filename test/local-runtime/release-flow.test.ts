import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, parseConfig } from '../../shared/config/config.loader';
import type { EcsTarget } from '../../shared/ports/deployment';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { StartReleaseDecision } from '../../shared/use-cases/start-release';
import {
  LocalPipeline,
  type LocalPipelineOptions,
  type VersionBehaviour,
} from '../../local-runtime/local-pipeline';
import { loadEvent } from '../support/fixtures';
import {
  BROKEN_COMMIT,
  GOOD_COMMIT,
  GOOD_DIGEST,
  PROD_REGIONS,
  prod,
  REGISTRY,
  RELEASE_TARGETS,
  STAGING,
} from '../support/orders-api';

/**
 * The real statemachines/release.asl.yml (with the stage processor it includes), executed by the local
 * runtime with the real handlers, the real DynamoDB adapters (dynalite), the local ECS/CloudWatch/ECR/
 * endpoint adapters and the local approval desk. Outcomes only: the stage processor is still changing, so
 * nothing here counts state transitions.
 */
const ROOT = join(__dirname, '..', '..');
const config = () => loadConfigFile(join(ROOT, 'pipeline.config.yml'));
type SampleEvent = Record<string, unknown> & { detail: Record<string, unknown> };

const BROKEN_DIGEST = loadEvent('ecr-push-orders-api-broken.json').detail['image-digest'] as string;
const UNBUILT_COMMIT = loadEvent('git-tag-orders-api-v1.4.1-unbuilt.json').detail.commit as string;
const BOOTSTRAP_IMAGE = 'orders-api:bootstrap';

let pipeline: LocalPipeline;

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), ...options });
  return pipeline;
}

/** Delivers an event (a sample's file name, or an event object) and waits until everything settled. */
async function deliver(sample: string | SampleEvent): Promise<StartReleaseDecision | undefined> {
  const routed = await pipeline.putEvent(typeof sample === 'string' ? loadEvent(sample) : sample);
  await pipeline.settled();
  return routed.deliveries[0]?.result as StartReleaseDecision | undefined;
}

/** The build's push of sha-<commit>, as ECR would announce it, for a commit no sample pushed. */
function pushOf(commit: string, digest: string): SampleEvent {
  const push = loadEvent('ecr-push-orders-api.json');
  return {
    ...push,
    id: `push-${commit.slice(0, 12)}`,
    detail: { ...push.detail, 'image-tag': `sha-${commit}`, 'image-digest': digest },
  };
}

async function releaseExecutions() {
  const { executions } = await pipeline.engine.listExecutions({
    stateMachineArn: pipeline.stateMachineArns.release,
  });
  return Promise.all(
    executions.map((e) => pipeline.engine.describeExecution({ executionArn: e.executionArn })),
  );
}

async function onlyRelease() {
  const releases = await releaseExecutions();
  expect(releases).toHaveLength(1);
  return releases[0]!;
}

/** The release execution a start-release decision started (or found). */
async function releaseOf(decision: StartReleaseDecision | undefined) {
  expect(decision?.executionArn).toBeDefined();
  return pipeline.engine.describeExecution({ executionArn: decision!.executionArn! });
}

/** The `app` container of the revision that serves traffic for a target. */
function app(target: EcsTarget) {
  return pipeline.platform.serving(target)?.containers.find((c) => c.name === 'app');
}

/** What a target serves: the image reference, the commit and the version the pipeline set. */
function serving(target: EcsTarget) {
  const container = app(target);
  return {
    image: container?.image,
    commit: container?.environment[DEPLOYED_ENV.commit],
    version: container?.environment[DEPLOYED_ENV.version],
  };
}

const servesRelease = (version: string, commit: string, digest: string) => ({
  image: `${REGISTRY}/orders-api@${digest}`,
  commit,
  version,
});
const UNTOUCHED = { image: BOOTSTRAP_IMAGE, commit: undefined, version: undefined };

/** Regions approvals were requested for, in order, as `environment/region`. */
const approvalRequests = () => pipeline.approvals.requests.map((r) => `${r.environment}/${r.region}`);

/** Services of the release environments the pipeline updated (the PPE promotion's update excluded). */
const releaseUpdates = () =>
  pipeline.platform.calls.filter(
    (c) => c.method === 'updateService' && (c.args[0] as EcsTarget).cluster !== 'ppe',
  );

afterEach(async () => {
  await pipeline?.close();
});

describe('release state machine, executed locally', () => {
  it('when a CodeCommit repository is configured, a tag created there releases that service', async () => {
    // Prepare: orders-api lives in CodeCommit, whose repository names have no owner
    const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8').replace(
      'gitRepository: example-org/orders-api',
      'gitRepository: orders-api',
    );
    await start({ config: parseConfig(text, 'pipeline.config.yml') });
    await deliver('ecr-push-orders-api.json');

    // Act
    const decision = await deliver('codecommit-tag-created.json');

    // Assess
    expect(decision).toMatchObject({ started: true });
    expect((await onlyRelease()).status).toBe('SUCCEEDED');
    expect(serving(prod('ap-southeast-2'))).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
  });

  it("when staging and prod share a task-definition family in a region, prod runs prod's own env, secrets and roles", async () => {
    // Prepare: one family per service, as teams keep it; staging and prod in eu-west-1 both use orders-api
    await start();
    const seeded = pipeline.platform.serving(prod('eu-west-1'))!;
    expect(seeded.family).toBe(pipeline.platform.serving(STAGING)!.family);
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    expect((await onlyRelease()).status).toBe('SUCCEEDED');
    const staging = pipeline.platform.serving(STAGING)!;
    for (const region of PROD_REGIONS) {
      const running = pipeline.platform.serving(prod(region))!;
      expect(running.arn).not.toBe(staging.arn);
      expect(running.taskRoleArn).toBe('arn:aws:iam::000000000000:role/orders-api-prod-task');
      expect(running.executionRoleArn).toBe('arn:aws:iam::000000000000:role/orders-api-prod-execution');
      const container = running.containers.find((c) => c.name === 'app')!;
      expect(container.environment.APP_ENV).toBe('prod');
      expect(container.secrets).toEqual({
        DATABASE_URL: `arn:aws:secretsmanager:${region}:000000000000:secret:orders-api/prod/database-url`,
      });
      expect(container.image).toBe(`${REGISTRY}/orders-api@${GOOD_DIGEST}`);
    }
    expect(staging.taskRoleArn).toBe('arn:aws:iam::000000000000:role/orders-api-staging-task');
  });

  it('when the pushed commit is tagged v1.4.0, it releases that very digest to staging and every prod region, one approval per prod region', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    const decision = await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    expect(decision).toMatchObject({ started: true, name: 'release-orders-api-v1_4_0-4b825dc6' });
    const release = await onlyRelease();
    expect(release.status).toBe('SUCCEEDED');
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(pipeline.registry.tagsOf('eu-west-1', 'orders-api', GOOD_DIGEST)).toEqual([
      `sha-${GOOD_COMMIT}`,
      'v1.4.0',
    ]);
    expect(approvalRequests()).toEqual(['prod/eu-west-1', 'prod/us-east-1', 'prod/ap-southeast-2']);
    // Approvers see what the stages before theirs showed.
    const evidence = pipeline.approvals.requests.map((r) => Object.keys((r.evidence ?? {}) as object));
    expect(evidence).toEqual([
      ['staging/eu-west-1'],
      ['staging/eu-west-1', 'prod/eu-west-1'],
      ['staging/eu-west-1', 'prod/eu-west-1', 'prod/us-east-1'],
    ]);
    expect((pipeline.approvals.requests[1]!.evidence as Record<string, string>)['prod/eu-west-1']).toMatch(
      /^v1\.4\.0: smoke 2\/2 passed \(health 200 in \d+ ms, orders-list 200 in \d+ ms\); 2 alarms watched for 32 min since the deploy, 0 in ALARM$/,
    );
    expect(pipeline.approvals.decisions.map((d) => d.outcome)).toEqual(['approved', 'approved', 'approved']);
    const output = JSON.parse(release.output!) as { deployments: unknown[] };
    expect(output).toMatchObject({
      service: 'orders-api',
      version: 'v1.4.0',
      commit: GOOD_COMMIT,
      digest: GOOD_DIGEST,
    });
    expect(output.deployments).toEqual([
      expect.objectContaining({
        environment: 'staging',
        region: 'eu-west-1',
        digest: GOOD_DIGEST,
        outcome: 'deployed',
      }),
      ...PROD_REGIONS.map((region) =>
        expect.objectContaining({ environment: 'prod', region, digest: GOOD_DIGEST, outcome: 'deployed' }),
      ),
    ]);
  });

  it('when us-east-1 is rejected, it stops there: eu-west-1 keeps v1.4.0, later regions are untouched, and the failure names who rejected', async () => {
    // Prepare
    await start({ rejectRegions: ['us-east-1'] });
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('ApprovalRejected');
    expect(release.cause).toContain('rejected by release-manager@example.com');
    expect(release.cause).toContain('us-east-1');
    expect(serving(STAGING)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(serving(prod('eu-west-1'))).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(serving(prod('us-east-1'))).toEqual(UNTOUCHED);
    expect(serving(prod('ap-southeast-2'))).toEqual(UNTOUCHED);
    expect(approvalRequests()).toEqual(['prod/eu-west-1', 'prod/us-east-1']);
    expect(releaseUpdates().map((c) => c.args[0])).toEqual([STAGING, prod('eu-west-1')]);
    // The deployment records tell the same story, with who decided (virtual time stands still between
    // a stage's end and the next approval, so records tie on time: compare them sorted).
    const records = await pipeline.records.history('orders-api');
    const story = records.map((r) => `${r.environment}/${r.region} ${r.version} ${r.kind} ${r.outcome}`);
    expect(story.sort()).toEqual([
      `ppe/eu-west-1 sha-${GOOD_COMMIT} deploy deployed`,
      'prod/eu-west-1 v1.4.0 approval approved',
      'prod/eu-west-1 v1.4.0 deploy deployed',
      'prod/us-east-1 v1.4.0 approval rejected',
      'staging/eu-west-1 v1.4.0 deploy deployed',
    ]);
    const rejection = records.find((r) => r.outcome === 'rejected');
    expect(rejection).toMatchObject({ triggeredBy: 'release-manager@example.com', digest: GOOD_DIGEST });
    const prodDeploy = records.find((r) => r.environment === 'prod' && r.outcome === 'deployed');
    expect(prodDeploy).toMatchObject({
      triggeredBy: expect.stringMatching(/^tag v1\.4\.0/),
      taskDefinitionArn: expect.stringContaining(':task-definition/'),
    });
    expect(
      (await pipeline.records.running('orders-api'))
        .map((r) => `${r.environment}/${r.region} ${r.version}`)
        .sort(),
    ).toEqual([`ppe/eu-west-1 sha-${GOOD_COMMIT}`, 'prod/eu-west-1 v1.4.0', 'staging/eu-west-1 v1.4.0']);
  });

  it('when the released version breaches the staging alarms during the bake, it rolls staging back and never reaches prod', async () => {
    // Prepare: the commit promoted cleanly to PPE; under staging's traffic it starts failing
    // (the local runtime has no per-region failure knob: behaviours are per commit, see the report)
    const behaviours: Record<string, VersionBehaviour> = {};
    await start({ behaviours });
    await deliver('ecr-push-orders-api.json');
    behaviours[GOOD_COMMIT.slice(0, 7)] = { breachesAlarms: true };

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('AlarmBreached');
    expect(release.cause).toContain('orders-api-staging-5xx');
    expect(release.cause).toContain('staging/eu-west-1');
    expect(release.cause).toContain('rolled back');
    expect(serving(STAGING)).toEqual(UNTOUCHED);
    for (const region of PROD_REGIONS) expect(serving(prod(region))).toEqual(UNTOUCHED);
    expect(approvalRequests()).toEqual([]);
  });

  it('when the tagged commit was never pushed, it waits imageWaitMinutes, retrying every minute, then fails with ImageNotFound and deploys nothing', async () => {
    // Prepare: the repository holds other builds
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.1-unbuilt.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('ImageNotFound');
    expect(release.cause).toContain(`sha-${UNBUILT_COMMIT}`);
    expect(release.cause).toContain('orders-api');
    const resolves = pipeline.lambdas.invocations.filter((i) => i.functionName === 'resolveReleaseImage');
    const gaps = resolves.slice(1).map((r, i) => r.at - resolves[i]!.at);
    expect(gaps.length).toBeGreaterThanOrEqual(30);
    expect(new Set(gaps)).toEqual(new Set([60_000]));
    expect(resolves.at(-1)!.at - resolves[0]!.at).toBeGreaterThanOrEqual(30 * 60_000);
    for (const target of RELEASE_TARGETS) expect(serving(target)).toEqual(UNTOUCHED);
    expect(releaseUpdates()).toEqual([]);
    expect(approvalRequests()).toEqual([]);
  });

  it('when the build pushes the tagged commit while the release waits for it, it picks the image up and releases it', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    const lateDigest = `sha256:${'0a1b2c3d'.repeat(8)}`;
    const routed = await pipeline.putEvent(loadEvent('git-tag-orders-api-v1.4.1-unbuilt.json'));
    const decision = routed.deliveries[0]?.result as StartReleaseDecision;
    await pipeline.clock.sleep(5 * 60_000); // the release keeps looking for sha-<commit> meanwhile
    const misses = pipeline.lambdas.invocations.filter((i) => i.functionName === 'resolveReleaseImage');

    // Act
    await deliver(pushOf(UNBUILT_COMMIT, lateDigest));

    // Assess
    expect(misses.length).toBeGreaterThan(1);
    const release = await releaseOf(decision);
    expect(release.status).toBe('SUCCEEDED');
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.4.1', UNBUILT_COMMIT, lateDigest));
    expect(pipeline.registry.tagsOf('eu-west-1', 'orders-api', lateDigest)).toEqual([
      `sha-${UNBUILT_COMMIT}`,
      'v1.4.1',
    ]);
  });

  it('when the same tag event is delivered twice, it starts one release and says the second is a duplicate', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    const first = await deliver('git-tag-orders-api-v1.4.0.json');

    // Act
    const second = await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    expect(first).toMatchObject({ started: true });
    expect(second).toMatchObject({ started: false, reason: expect.stringContaining('duplicate') });
    expect(second).toMatchObject({ executionArn: (first as { executionArn: string }).executionArn });
    expect((await onlyRelease()).status).toBe('SUCCEEDED');
    expect(releaseUpdates()).toHaveLength(RELEASE_TARGETS.length);
    expect(approvalRequests()).toHaveLength(PROD_REGIONS.length);
  });

  it('when a pre-release v1.4.0-rc.1 is tagged, it releases to staging only and asks no approval', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    const decision = await deliver('git-tag-orders-api-v1.4.0-rc.1.json');

    // Assess
    expect(decision).toMatchObject({ started: true, release: { prerelease: true } });
    const release = await onlyRelease();
    expect(release.status).toBe('SUCCEEDED');
    expect(serving(STAGING)).toEqual(servesRelease('v1.4.0-rc.1', GOOD_COMMIT, GOOD_DIGEST));
    for (const region of PROD_REGIONS) expect(serving(prod(region))).toEqual(UNTOUCHED);
    expect(approvalRequests()).toEqual([]);
    expect(JSON.parse(release.output!)).toMatchObject({
      deployments: [{ environment: 'staging', region: 'eu-west-1', digest: GOOD_DIGEST }],
    });
    expect((JSON.parse(release.output!) as { deployments: unknown[] }).deployments).toHaveLength(1);
  });

  it('when the tag is not a version (v1.4), it starts nothing and says which format it expects', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');

    // Act
    const decision = await deliver('git-tag-orders-api-not-a-version.json');

    // Assess
    expect(decision).toEqual({
      started: false,
      reason: expect.stringContaining('expected vMAJOR.MINOR.PATCH'),
    });
    expect(decision?.started === false && decision.reason).toContain('"v1.4"');
    expect(await releaseExecutions()).toEqual([]);
    expect(releaseUpdates()).toEqual([]);
  });

  it('when an older version is tagged after v1.4.0 reached prod, it refuses the downgrade before staging', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    await deliver('ecr-push-orders-api-broken.json'); // the v1.3.9 commit was built (and is fine)
    const updatesBefore = releaseUpdates().length;

    // Act
    const decision = await deliver('git-tag-orders-api-v1.3.9.json');

    // Assess
    expect(decision).toMatchObject({ started: true });
    const refused = await releaseOf(decision);
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('DowngradeRefused');
    expect(refused.cause).toContain('v1.3.9 is older than what prod runs');
    expect(refused.cause).toContain('allowDowngrade');
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(releaseUpdates()).toHaveLength(updatesBefore);
    expect(pipeline.registry.tagsOf('eu-west-1', 'orders-api', BROKEN_DIGEST)).not.toContain('v1.3.9');
  });

  it('when an older version is tagged with allowDowngrade, it passes the version check and releases that image', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    await deliver('ecr-push-orders-api-broken.json');
    const refused = await deliver('git-tag-orders-api-v1.3.9.json'); // refused: DowngradeRefused
    const downgrade = loadEvent('git-tag-orders-api-v1.3.9.json');
    downgrade.detail.allowDowngrade = true;

    // Act
    const decision = await deliver(downgrade);

    // Assess
    expect(refused).toMatchObject({ started: true });
    expect(decision).toMatchObject({ started: true, release: { allowDowngrade: true } });
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.3.9', BROKEN_COMMIT, BROKEN_DIGEST));
    const release = await releaseOf(decision);
    expect(release.status).toBe('SUCCEEDED');
    expect(release.error).toBeUndefined();
    expect(JSON.parse(release.output!)).toMatchObject({
      version: 'v1.3.9',
      commit: BROKEN_COMMIT,
      digest: BROKEN_DIGEST,
    });
    expect(pipeline.registry.tagsOf('eu-west-1', 'orders-api', BROKEN_DIGEST)).toEqual([
      `sha-${BROKEN_COMMIT}`,
      'v1.3.9',
    ]);
  });

  it('when nobody decides, the first prod approval expires after timeoutHours (168) and the release fails with ApprovalExpired', async () => {
    // Prepare
    await start({ approvals: 'none' });
    await deliver('ecr-push-orders-api.json');

    // Act
    await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await onlyRelease();
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('ApprovalExpired');
    expect(release.cause).toContain('prod/eu-west-1');
    expect(release.cause).toContain('approval expired: no decision for prod/eu-west-1 within 168 hours');
    const [request] = pipeline.approvals.requests;
    expect(approvalRequests()).toEqual(['prod/eu-west-1']);
    expect(request!.expiresAt - request!.createdAt).toBe(168 * 3600 * 1000);
    expect(pipeline.clock.now()).toBeGreaterThanOrEqual(request!.expiresAt);
    expect(pipeline.approvals.decisions).toEqual([]);
    expect((await pipeline.approvalStore.get(request!.approvalId))?.status).toBe('expired');
    expect(serving(STAGING)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    for (const region of PROD_REGIONS) expect(serving(prod(region))).toEqual(UNTOUCHED);
  });

  it('when a release rejected in us-east-1 is redriven, it asks us-east-1 for approval again and, approved, completes the release', async () => {
    // Prepare: rejectRegions is read on every request, so emptying it changes the approvers' minds
    const rejectRegions = ['us-east-1'];
    await start({ rejectRegions });
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    const rejected = await onlyRelease();
    expect(rejected).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    rejectRegions.length = 0;

    // Act
    await pipeline.engine.redriveExecution({ executionArn: rejected.executionArn });
    await pipeline.settled();

    // Assess
    const redriven = await onlyRelease();
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(approvalRequests()).toEqual([
      'prod/eu-west-1',
      'prod/us-east-1',
      'prod/us-east-1',
      'prod/ap-southeast-2',
    ]);
    const [firstAsk, secondAsk] = pipeline.approvals.requests.filter((r) => r.region === 'us-east-1');
    expect(secondAsk!.approvalId).not.toBe(firstAsk!.approvalId);
    expect(pipeline.approvals.decisions.map((d) => d.outcome)).toEqual([
      'approved',
      'rejected',
      'approved',
      'approved',
    ]);
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    // staging and eu-west-1 did not deploy again
    expect(releaseUpdates().map((c) => c.args[0])).toEqual(RELEASE_TARGETS);
  });

  it('when smoke checks fail in the second production region, only that region rolls back and the release stops there', async () => {
    // Prepare
    await start({
      behaviours: {
        [GOOD_COMMIT.slice(0, 9)]: {
          failsHealthCheck: true,
          only: [{ region: 'us-east-1', cluster: 'prod' }],
        },
      },
    });
    await deliver('ecr-push-orders-api.json');

    // Act
    const decision = await deliver('git-tag-orders-api-v1.4.0.json');

    // Assess
    const release = await releaseOf(decision);
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('SmokeTestFailed');
    expect(release.cause).toContain('prod/us-east-1');
    expect(release.cause).toContain('rolled back');
    expect(serving(STAGING)).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(serving(prod('eu-west-1'))).toEqual(servesRelease('v1.4.0', GOOD_COMMIT, GOOD_DIGEST));
    expect(serving(prod('us-east-1'))).toEqual(UNTOUCHED);
    expect(serving(prod('ap-southeast-2'))).toEqual(UNTOUCHED);
    expect(approvalRequests()).toEqual(['prod/eu-west-1', 'prod/us-east-1']);
  });

  it('when two tags arrive in quick succession, the newer release queues behind the older and ends everywhere, never overwritten', async () => {
    // Prepare
    await start();
    await deliver('ecr-push-orders-api.json');
    await deliver(pushOf(UNBUILT_COMMIT, `sha256:${'51'.repeat(32)}`));
    const older = loadEvent('git-tag-orders-api-v1.4.0.json');
    const newer = loadEvent('git-tag-orders-api-v1.4.1-unbuilt.json');

    // Act: both releases start before either finishes
    const routedOlder = await pipeline.putEvent(older);
    const routedNewer = await pipeline.putEvent(newer);
    await pipeline.settled();

    // Assess
    const decisions = [routedOlder, routedNewer].map((r) => r.deliveries[0]?.result as StartReleaseDecision);
    expect(decisions.every((d) => d.started)).toBe(true);
    const [olderRelease, newerRelease] = await Promise.all(decisions.map((d) => releaseOf(d)));
    expect(olderRelease!.status).toBe('SUCCEEDED');
    expect(newerRelease!.status).toBe('SUCCEEDED');
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual(servesRelease('v1.4.1', UNBUILT_COMMIT, `sha256:${'51'.repeat(32)}`));
  });
});
