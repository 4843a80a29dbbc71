import type { EcsTarget } from '../../shared/ports/deployment';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { runCli } from '../support/cli';
import { loadEvent, sampleConfig } from '../support/fixtures';
import { SteppedClock } from '../support/stepped-clock';

/**
 * The operator CLI against the local stack (`--local`), the way an on-call engineer uses it: the real
 * state machines and handlers run in a LocalPipeline, and every action goes through
 * `pipeline <command> --local --url …`, i.e. the same SDK adapters the CLI uses against AWS.
 *
 * Time is virtual and moves only while the test waits (SteppedClock): one timer at a time, and only after
 * the test (or the CLI's `--wait`) has looked at what the pipeline does. So an approval the test saw waits
 * until the CLI decides it, and `--wait` sees every stage's bake, however slow the machine is.
 */
// The waits have no wall-clock deadline; this limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

const APPROVER = 'release-manager@example.com';
const NEXT_COMMIT = 'c0ffee0ddba11facade0123456789abcdef01234';
const NEXT_DIGEST = `sha256:${'5'.repeat(64)}`;
const RELEASE_V140 = 'release-orders-api-v1_4_0-4b825dc6';
const RELEASE_V150 = 'release-orders-api-v1_5_0-c0ffee0d';

let pipeline: LocalPipeline;
let clock: SteppedClock;
let url: string;
let http: LocalHttpServer | undefined;
/** The last step after which the CLI read an execution's history (see `driving`). */
let historyReadAfterStep = -1;

async function start(): Promise<void> {
  clock = new SteppedClock(Date.now());
  historyReadAfterStep = -1;
  pipeline = await LocalPipeline.start({ config: sampleConfig(), clock, approvals: 'email' });
  // Served as the CLI sees it, except that the test notes when the CLI reads an execution's history.
  const routes = pipeline.httpRoutes();
  const aws = routes.aws!;
  const engine = new Proxy(aws.engine, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (key !== 'getExecutionHistory') return value.bind(target) as unknown;
      return async (...args: unknown[]) => {
        const step = clock.steps;
        const history = (await value.apply(target, args)) as unknown;
        historyReadAfterStep = Math.max(historyReadAfterStep, step);
        return history;
      };
    },
  });
  http = await serveLocalPipeline(
    { httpRoutes: () => ({ ...routes, aws: { ...aws, engine } }), servedAt: (at) => pipeline.servedAt(at) },
    0,
  );
  url = http.url;
}

afterEach(async () => {
  await pipeline?.close({ abandon: true });
  await http?.close();
});

const cli = (...args: string[]) => runCli(...args, '--local', '--url', url);

/**
 * Probes until `probe` has a value, moving time one timer on after each probe that found nothing. Gives up
 * when no timer is left and the value is still not there, since nothing can make it appear any more.
 */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (!(await clock.step()))
      throw new Error(`gave up waiting for ${what}: the pipeline went idle without it`);
  }
}

/**
 * Runs a CLI command that follows an execution (`--wait`) while moving time: one timer on each time the
 * command has read the execution's history since time last moved, so it sees every state the execution
 * waits in.
 */
async function driving<T>(command: Promise<T>): Promise<T> {
  let done = false;
  const finished = command.finally(() => (done = true));
  while (!done) {
    if (historyReadAfterStep >= clock.steps) await clock.step();
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return finished;
}

interface StatusJson {
  frozen: { environment: string }[];
  targets: {
    service: string;
    environment: string;
    region: string;
    running: { version: string } | null;
    inProgress: { activity: string; approvalId?: string; execution: string } | null;
  }[];
}

async function status(): Promise<StatusJson> {
  const { code, out, err } = await cli('status', 'orders-api', '--json');
  if (code !== 0) throw new Error(`pipeline status failed: ${err}`);
  return JSON.parse(out) as StatusJson;
}

/** Waits until prod/<region> waits for approval, then decides it with the CLI, as the release manager. */
async function decide(region: string, decision: 'approve' | 'reject' = 'approve'): Promise<void> {
  const approvalId = await waitFor(`the approval of prod/${region}`, async () => {
    const target = (await status()).targets.find((t) => t.environment === 'prod' && t.region === region);
    return target?.inProgress?.approvalId;
  });
  const { code, out } = await cli(
    decision,
    approvalId,
    '--as',
    APPROVER,
    '--comment',
    `${decision} from the CLI`,
  );
  expect(code).toBe(0);
  expect(out).toMatch(decision === 'approve' ? /^Approved orders-api v1\.\d\.0 for prod/ : /^Rejected/);
}

async function executionStatus(name: string): Promise<string | undefined> {
  const { code, out } = await cli('show', name, '--json');
  return code === 0 ? (JSON.parse(out) as { status: string }).status : undefined;
}

async function ended(name: string, expected: string): Promise<void> {
  await waitFor(`${name} to end ${expected}`, async () => {
    const now = await executionStatus(name);
    if (now && now !== 'RUNNING' && now !== expected)
      throw new Error(`${name} ended ${now}, not ${expected}`);
    return now === expected ? true : undefined;
  });
}

const prod = (region: string): EcsTarget => ({ region, cluster: 'prod', service: 'orders-api' });
const updatesOf = (target: EcsTarget) =>
  pipeline.platform.calls.filter(
    (c) =>
      c.method === 'updateService' &&
      (c.args[0] as EcsTarget).cluster === target.cluster &&
      (c.args[0] as EcsTarget).region === target.region,
  ).length;
const mailsFor = (region: string) =>
  pipeline.mailbox.list().filter((m) => m.subject.includes(`prod/${region}`)).length;

/** Pushes a second build of orders-api and tags it v1.5.0. */
async function releaseV150(): Promise<void> {
  const push = loadEvent('ecr-push-orders-api.json');
  await pipeline.putEvent({
    ...push,
    id: 'push-v150',
    detail: { ...push.detail, 'image-tag': `sha-${NEXT_COMMIT}`, 'image-digest': NEXT_DIGEST },
  });
  const tag = loadEvent('git-tag-orders-api-v1.4.0.json');
  await pipeline.putEvent({
    ...tag,
    id: 'tag-v150',
    detail: { ...tag.detail, tag: 'v1.5.0', commit: NEXT_COMMIT },
  });
}

describe('operator CLI against the local stack', () => {
  it('when the second production region fails with a transient fault, a redrive resumes there: staging and the first region are not redeployed and their approvers not mailed again', async () => {
    // Prepare: v1.4.0 is released; staging and prod/eu-west-1 deploy; us-east-1's deploy step is throttled
    // more often than its retries allow
    await start();
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await pipeline.putEvent(loadEvent('git-tag-orders-api-v1.4.0.json'));
    await decide('eu-west-1');
    await waitFor('the approval request of us-east-1', async () =>
      mailsFor('us-east-1') > 0 ? true : undefined,
    );
    pipeline.lambdas.failNext('deployService', 6);
    await decide('us-east-1');
    await ended(RELEASE_V140, 'FAILED');
    const shown = await cli('show', RELEASE_V140);
    const mailsBefore = { euWest1: mailsFor('eu-west-1'), usEast1: mailsFor('us-east-1') };

    // Act
    const redriven = await cli('redrive', RELEASE_V140);
    await decide('us-east-1');
    await decide('ap-southeast-2');
    await ended(RELEASE_V140, 'SUCCEEDED');

    // Assess
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('prod/us-east-1: rolled back');
    expect(shown.out).toMatch(/Failed at prod\/us-east-1 › Deploy to region: RetriesExhausted/);
    expect(shown.out).toMatch(/Lambda\.TooManyRequestsException: Rate Exceeded\./);
    // Five retries of the throttled step, then the stage stopped once.
    expect(shown.out).toMatch(/Deploy to region +failed: Lambda\.TooManyRequestsException +[\w ]+? +6\n/);
    expect(shown.out).toMatch(/Stop the stage +failed: RetriesExhausted +- +1\n/);
    expect(shown.out).toContain(`pipeline redrive ${RELEASE_V140}`);
    expect(redriven).toMatchObject({ code: 0 });
    expect(redriven.out).toContain(`Redriven ${RELEASE_V140}`);
    expect(updatesOf({ region: 'eu-west-1', cluster: 'staging', service: 'orders-api' })).toBe(1);
    expect(updatesOf(prod('eu-west-1'))).toBe(1);
    expect(updatesOf(prod('us-east-1'))).toBe(1);
    expect(updatesOf(prod('ap-southeast-2'))).toBe(1);
    expect(mailsFor('eu-west-1')).toBe(mailsBefore.euWest1); // nobody asked again
    expect(mailsFor('us-east-1')).toBe(2 * mailsBefore.usEast1); // a new request, with new links
    const after = JSON.parse((await cli('show', RELEASE_V140, '--json')).out) as {
      redriveCount: number;
      stages: { outcome: string }[];
    };
    expect(after.redriveCount).toBe(1);
    expect(after.stages.map((s) => s.outcome)).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
    const running = (await status()).targets
      .filter((t) => t.environment !== 'ppe')
      .map((t) => t.running?.version);
    expect(running).toEqual(['v1.4.0', 'v1.4.0', 'v1.4.0', 'v1.4.0']);
  });

  it('when a redrive is followed with --wait --json, the JSON comes once it ended, with its status, and the exit code says whether it succeeded', async () => {
    // Prepare: the PPE deploy is throttled more often than its retries allow
    const push = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
    await start();
    pipeline.lambdas.failNext('deployService', 6);
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await ended(push, 'FAILED');

    // Act: redriven while the throttling lasts, then once it is over
    pipeline.lambdas.failNext('deployService', 6);
    const failedAgain = await driving(cli('redrive', push, '--wait', '--json'));
    const succeeded = await driving(cli('redrive', push, '--wait', '--json'));

    // Assess
    expect(failedAgain.code).toBe(1);
    expect(JSON.parse(failedAgain.out)).toMatchObject({
      outcome: 'redriven',
      execution: push,
      status: 'FAILED',
    });
    expect(succeeded.code).toBe(0);
    expect(JSON.parse(succeeded.out)).toMatchObject({ outcome: 'redriven', status: 'SUCCEEDED' });
  });

  it('when a newer release has passed a failed one, redriving the older is refused with the reason; freezing refuses it too; a rollback to the older release by name redeploys it', async () => {
    // Prepare: v1.4.0 is rejected in us-east-1; v1.5.0 then ships everywhere
    await start();
    await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
    await pipeline.putEvent(loadEvent('git-tag-orders-api-v1.4.0.json'));
    await decide('eu-west-1');
    await decide('us-east-1', 'reject');
    await ended(RELEASE_V140, 'FAILED');
    await releaseV150();
    for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2']) await decide(region);
    await ended(RELEASE_V150, 'SUCCEEDED');

    // Act
    const refused = await cli('redrive', RELEASE_V140);
    const refusedJson = await cli('redrive', RELEASE_V140, '--json');
    const unconfirmed = await cli('redrive', RELEASE_V140, '--force');
    const frozen = await cli('freeze', 'prod', '--reason', 'incident 4711: checkout errors');
    const refusedWhileFrozen = await cli('redrive', RELEASE_V140, '--force', '--yes');
    const statusWhileFrozen = await cli('status', 'orders-api');
    const unfrozen = await cli('unfreeze', 'prod');
    const rollback = await driving(
      cli(
        'rollback',
        'orders-api',
        'prod',
        '--to',
        'v1.4.0',
        '--yes',
        '--wait',
        '--as',
        'oncall@example.com',
      ),
    );

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`Not redriven: ${RELEASE_V140}`);
    expect(refused.out).toMatch(
      /prod\/us-east-1 runs v1\.5\.0 since .* \(release-orders-api-v1_5_0-c0ffee0d\), newer than v1\.4\.0/,
    );
    expect(refused.out).not.toContain('prod/eu-west-1 runs'); // deployed by v1.4.0 itself: not run again
    expect(JSON.parse(refusedJson.out)).toMatchObject({
      outcome: 'refused',
      refusals: [
        expect.objectContaining({
          overridable: true,
          reason: expect.stringContaining('prod/us-east-1 runs v1.5.0'),
        }),
        expect.objectContaining({
          overridable: true,
          reason: expect.stringContaining('prod/ap-southeast-2 runs v1.5.0'),
        }),
      ],
    });
    expect(unconfirmed).toMatchObject({
      code: 2,
      err: 'pipeline redrive: --force deploys an older version over a newer one: add --yes to confirm',
    });
    expect(frozen.code).toBe(0);
    expect(refusedWhileFrozen.code).toBe(1);
    expect(refusedWhileFrozen.out).toMatch(
      /prod is frozen since .* by local:\S+: incident 4711: checkout errors/,
    );
    expect(statusWhileFrozen.out).toMatch(/^FROZEN prod since .* incident 4711/);
    expect(unfrozen.out).toMatch(/^Unfrozen prod/);
    expect(rollback.code).toBe(0);
    expect(rollback.out).toContain('orders-api prod/us-east-1: v1.5.0 → v1.4.0');
    expect(rollback.out).toMatch(/^ {2}prod\/us-east-1: Bake \(baking\)$/m); // --wait follows each step
    expect(rollback.out).toMatch(
      /^rollback-orders-api-prod-v1_4_0-\S+ SUCCEEDED: prod\/eu-west-1 deployed, prod\/us-east-1 deployed, prod\/ap-southeast-2 deployed$/m,
    );
    const running = (await status()).targets
      .filter((t) => t.environment === 'prod')
      .map((t) => t.running?.version);
    expect(running).toEqual(['v1.4.0', 'v1.4.0', 'v1.4.0']);
    const history = JSON.parse(
      (await cli('history', 'orders-api', '--environment', 'prod', '--json')).out,
    ) as {
      records: { kind: string; outcome: string; version: string; triggeredBy: string; region: string }[];
    };
    const rollbacks = history.records.filter((r) => r.kind === 'rollback');
    expect(rollbacks.map((r) => `${r.region} ${r.version} ${r.outcome}`).sort()).toEqual([
      'ap-southeast-2 v1.4.0 deployed',
      'eu-west-1 v1.4.0 deployed',
      'us-east-1 v1.4.0 deployed',
    ]);
    expect(rollbacks[0]!.triggeredBy).toBe('rollback to v1.4.0 by oncall@example.com');
    expect(pipeline.mailbox.list().filter((m) => m.subject.includes('v1.4.0')).length).toBe(4); // the rollback asked nobody
  });
});
