import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import type { EcsTarget } from '../../shared/ports/deployment';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';
import type { StartReleaseDecision } from '../../shared/use-cases/start-release';
import { viewExecution } from '../../shared/operations/execution-view';
import { LocalPipeline, type VersionBehaviour } from '../../local-runtime/local-pipeline';
import { serveLocalPipeline } from '../../local-runtime/local-http-server';
import { runCli } from '../support/cli';
import { loadEvent } from '../support/fixtures';
import { PROD_REGIONS, prod, RELEASE_TARGETS } from '../support/orders-api';

/**
 * Two tags on one commit (issue #15, item 8), executed locally: the real release and stage state machines
 * with the real handlers. Where the commit's digest already runs, the second release records its version
 * there without an approval, a deploy or a bake; where it does not (a region that rolled back, one the
 * first release never reached), it deploys as usual; a tag event with `"redeploy": true` takes the full path.
 */
const ROOT = join(__dirname, '..', '..');
type SampleEvent = Record<string, unknown> & { detail: Record<string, unknown> };

const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const DIGEST = loadEvent('ecr-push-orders-api.json').detail['image-digest'] as string;

/** The v1.4.0 sample tag event, as another tag of the same commit. */
function tagOfSameCommit(tag: string, extra: Record<string, unknown> = {}): SampleEvent {
  const sample = loadEvent('git-tag-orders-api-v1.4.0.json');
  return {
    ...sample,
    id: `tag-${tag}-${Object.keys(extra).join('-')}`,
    time: '2026-11-20T11:00:00Z',
    detail: { ...sample.detail, tag, ...extra },
  };
}

let pipeline: LocalPipeline;
afterEach(async () => {
  await pipeline?.close();
});

async function deliver(sample: string | SampleEvent): Promise<StartReleaseDecision> {
  const routed = await pipeline.putEvent(typeof sample === 'string' ? loadEvent(sample) : sample);
  await pipeline.settled();
  return routed.deliveries[0]?.result as StartReleaseDecision;
}

async function executionOf(decision: StartReleaseDecision) {
  expect(decision.started).toBe(true);
  return pipeline.engine.describeExecution({ executionArn: decision.executionArn! });
}

/** `environment/region: outcome` of each stage, as `pipeline show` reads them from the history. */
async function stageOutcomes(decision: StartReleaseDecision): Promise<string[]> {
  const execution = await executionOf(decision);
  const history = await pipeline.engine.getExecutionHistory({ executionArn: execution.executionArn });
  const view = viewExecution(execution, history.events);
  return view.stages.map((s) => `${s.environment}/${s.region}: ${s.outcome}`);
}

/** Counters of what the pipeline did since `mark()`: approvals asked, services updated, waits baked. */
function activity() {
  const approvals = pipeline.approvals.requests.length;
  const updates = pipeline.platform.calls.filter((c) => c.method === 'updateService').length;
  return () => ({
    approvals: pipeline.approvals.requests.slice(approvals).map((r) => `${r.environment}/${r.region}`),
    updates: pipeline.platform.calls
      .filter((c) => c.method === 'updateService')
      .slice(updates)
      .map((c) => {
        const target = c.args[0] as EcsTarget;
        return `${target.cluster}/${target.region}`;
      }),
  });
}

function serving(target: EcsTarget) {
  const container = pipeline.platform.serving(target)?.containers.find((c) => c.name === 'app');
  return { image: container?.image, version: container?.environment[DEPLOYED_ENV.version] };
}

async function runningVersions(): Promise<string[]> {
  return (await pipeline.records.running('orders-api'))
    .filter((r) => r.environment !== 'ppe')
    .map((r) => `${r.environment}/${r.region} ${r.version}`)
    .sort();
}

describe('two tags on one commit, executed locally', () => {
  it('when v1.4.1 tags the commit v1.4.0 released everywhere, it records v1.4.1 in every region: no approval, no deploy, no bake', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    await deliver('ecr-push-orders-api.json');
    expect((await executionOf(await deliver('git-tag-orders-api-v1.4.0.json'))).status).toBe('SUCCEEDED');
    const since = activity();
    const before = pipeline.clock.now();

    // Act
    const second = await deliver(tagOfSameCommit('v1.4.1'));

    // Assess
    const execution = await executionOf(second);
    expect(execution.status).toBe('SUCCEEDED');
    expect(since()).toEqual({ approvals: [], updates: [] });
    expect(await stageOutcomes(second)).toEqual([
      'staging/eu-west-1: already running',
      'prod/eu-west-1: already running',
      'prod/us-east-1: already running',
      'prod/ap-southeast-2: already running',
    ]);
    // No bake was waited: the release took less pipeline time than one stage's bake.
    expect(pipeline.clock.now() - before).toBeLessThan(5 * 60_000);
    // ECS still runs the revision v1.4.0 deployed; the records name it v1.4.1 from now on.
    for (const target of RELEASE_TARGETS)
      expect(serving(target)).toEqual({ image: expect.stringContaining(`@${DIGEST}`), version: 'v1.4.0' });
    expect(await runningVersions()).toEqual([
      'prod/ap-southeast-2 v1.4.1',
      'prod/eu-west-1 v1.4.1',
      'prod/us-east-1 v1.4.1',
      'staging/eu-west-1 v1.4.1',
    ]);
    const recorded = (await pipeline.records.history('orders-api')).filter((r) => r.version === 'v1.4.1');
    expect(recorded).toHaveLength(4);
    for (const record of recorded)
      expect(record).toMatchObject({
        kind: 'record',
        outcome: 'already running',
        digest: DIGEST,
        deployedAs: 'v1.4.0',
        detail: expect.stringMatching(/^since \S+Z \(deployed as v1\.4\.0\); recorded without a redeploy$/),
      });
    // The output names each stage's outcome, as the release's result.
    const output = JSON.parse(execution.output!) as {
      deployments: { outcome: string; deployedAs: string }[];
    };
    expect(output.deployments.map((d) => `${d.outcome} (${d.deployedAs})`)).toEqual(
      Array(4).fill('already running (v1.4.0)'),
    );
  });

  it('when an operator looks, pipeline show, history and status tell the recorded stages apart from deploys', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    const second = await deliver(tagOfSameCommit('v1.4.1'));
    const http = await serveLocalPipeline(pipeline, 0);
    const cli = (...args: string[]) => runCli(...args, '--local', '--url', http.url);

    try {
      // Act
      const show = await cli('show', (await executionOf(second)).name);
      const history = await cli('history', 'orders-api', '--environment', 'prod');
      const status = await cli('status', '--json');

      // Assess
      expect(show.code).toBe(0);
      expect(show.out).toContain(
        'prod/us-east-1: already running (its digest ran there: recorded without a redeploy)',
      );
      expect(history.code).toBe(0);
      const lines = history.out.split('\n');
      const recorded = lines.filter((l) => l.includes('v1.4.1'));
      expect(recorded).toHaveLength(3);
      for (const line of recorded)
        expect(line).toMatch(
          /\srecord\s+already running \(since \S+Z \(deployed as v1\.4\.0\); recorded without a redeploy\)\s/,
        );
      const targets = (
        JSON.parse(status.out) as {
          targets: { service: string; environment: string; running: { version: string } | null }[];
        }
      ).targets;
      expect(
        targets
          .filter((t) => t.service === 'orders-api' && t.environment === 'prod')
          .map((t) => t.running?.version),
      ).toEqual(['v1.4.1', 'v1.4.1', 'v1.4.1']);
    } finally {
      await http.close();
    }
  });

  it('when the first tag rolled back in us-east-1, the second tag records where the digest runs and deploys only where it does not', async () => {
    // Prepare: v1.4.0's smoke checks fail in us-east-1 only; it rolls back there and never reaches ap-southeast-2
    const behaviours: Record<string, VersionBehaviour> = {};
    pipeline = await LocalPipeline.start({
      config: loadConfigFile(join(ROOT, 'pipeline.config.yml')),
      behaviours,
    });
    await deliver('ecr-push-orders-api.json');
    behaviours[COMMIT.slice(0, 9)] = {
      failsHealthCheck: true,
      only: [{ region: 'us-east-1', cluster: 'prod' }],
    };
    expect((await executionOf(await deliver('git-tag-orders-api-v1.4.0.json'))).error).toBe(
      'SmokeTestFailed',
    );
    delete behaviours[COMMIT.slice(0, 9)]; // the cause is fixed
    const since = activity();

    // Act
    const second = await deliver(tagOfSameCommit('v1.4.1'));

    // Assess
    expect((await executionOf(second)).status).toBe('SUCCEEDED');
    expect(await stageOutcomes(second)).toEqual([
      'staging/eu-west-1: already running',
      'prod/eu-west-1: already running',
      'prod/us-east-1: deployed',
      'prod/ap-southeast-2: deployed',
    ]);
    expect(since()).toEqual({
      approvals: ['prod/us-east-1', 'prod/ap-southeast-2'],
      updates: ['prod/us-east-1', 'prod/ap-southeast-2'],
    });
    expect(serving(prod('eu-west-1')).version).toBe('v1.4.0');
    expect(serving(prod('us-east-1')).version).toBe('v1.4.1');
    expect(serving(prod('ap-southeast-2')).version).toBe('v1.4.1');
    expect(await runningVersions()).toEqual([
      'prod/ap-southeast-2 v1.4.1',
      'prod/eu-west-1 v1.4.1',
      'prod/us-east-1 v1.4.1',
      'staging/eu-west-1 v1.4.1',
    ]);
  });

  it('when the second tag event says "redeploy": true, it takes the full path everywhere: approvals, deploys and bakes', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    const since = activity();

    // Act
    const second = await deliver(tagOfSameCommit('v1.4.1', { redeploy: true }));

    // Assess
    expect(second).toMatchObject({ started: true, name: 'release-orders-api-v1_4_1-4b825dc6-redeploy' });
    expect((await executionOf(second)).status).toBe('SUCCEEDED');
    expect(await stageOutcomes(second)).toEqual(
      RELEASE_TARGETS.map((t) => `${t.cluster}/${t.region}: deployed`),
    );
    expect(since()).toEqual({
      approvals: PROD_REGIONS.map((r) => `prod/${r}`),
      updates: RELEASE_TARGETS.map((t) => `${t.cluster}/${t.region}`),
    });
    for (const target of RELEASE_TARGETS) expect(serving(target).version).toBe('v1.4.1');
  });

  it('when a version below the recorded v1.4.1 is tagged on the same image, it is refused as a downgrade, as today', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    await deliver('ecr-push-orders-api.json');
    await deliver('git-tag-orders-api-v1.4.0.json');
    await deliver(tagOfSameCommit('v1.4.1'));
    const since = activity();

    // Act: v1.4.1-rc.1 is above v1.4.0, which ECS names, and below v1.4.1, which the records name
    const again = await deliver(tagOfSameCommit('v1.4.1-rc.1'));

    // Assess
    const execution = await executionOf(again);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DowngradeRefused');
    expect(execution.cause).toContain('older than what staging runs (v1.4.1 in eu-west-1)');
    expect(since()).toEqual({ approvals: [], updates: [] });
  });
});
