import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoAdvanceClock } from '../../local-runtime/auto-advance-clock';
import { stateJson, type ApiTarget } from '../../local-runtime/local-api';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';
import { loadConfigFile } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import { readableCause } from '../../shared/domain/failure-cause';
import { DEPLOYED_ENV } from '../../shared/domain/deployment-record';

/**
 * Freezes and deployment windows against the real state machines in the local runtime: the gate before
 * "Deploy to region" holds a stage, the virtual clock lets hours of waiting pass in milliseconds.
 */
const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const HOUR = 3600_000;
const PROD_REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

let pipeline: LocalPipeline;

function config(change: (config: PipelineConfig) => void = () => undefined): PipelineConfig {
  const loaded = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
  change(loaded);
  return loaded;
}

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), ...options });
  return pipeline;
}

/** Lets `ms` of pipeline time pass, then runs `look` with time held still. */
async function after<T>(ms: number, look: () => Promise<T>): Promise<T> {
  const clock = pipeline.clock as AutoAdvanceClock;
  await clock.sleep(ms);
  return clock.track(look());
}

function servedVersion(cluster: string, region: string): string | undefined {
  return pipeline.platform
    .serving({ region, cluster, service: 'orders-api' })
    ?.containers.find((c) => c.name === 'app')?.environment[DEPLOYED_ENV.version];
}

async function target(environment: string, region: string): Promise<ApiTarget> {
  const { body } = await stateJson(pipeline);
  const found = (body as { targets: ApiTarget[] }).targets.find(
    (t) => t.service === 'orders-api' && t.environment === environment && t.region === region,
  );
  if (!found) throw new Error(`no target orders-api ${environment}/${region}`);
  return found;
}

async function executionsOf(machine: 'promote' | 'release') {
  const { executions } = await pipeline.engine.listExecutions({
    stateMachineArn: pipeline.stateMachineArns[machine],
  });
  return Promise.all(
    executions.map((e) => pipeline.engine.describeExecution({ executionArn: e.executionArn })),
  );
}

/** When each state was entered, by name, in order. */
async function enteredStates(executionArn: string): Promise<{ name: string; at: number }[]> {
  const { events } = await pipeline.engine.getExecutionHistory({ executionArn });
  return events
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => ({ name: String(e.details.name), at: new Date(e.timestamp).getTime() }));
}

afterEach(async () => {
  await pipeline?.close();
});

describe('freezes and deployment windows, executed locally', () => {
  it('when prod is frozen, a release deploys staging, waits at prod with a clear status, and continues on unfreeze', async () => {
    // Prepare
    await start();
    await pipeline.freeze('prod', 'incident 4711', 'alice@example.com');
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.settled();

    // Act
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    const held = await after(6 * HOUR, async () => ({
      prod: await target('prod', 'eu-west-1'),
      staging: servedVersion('staging', 'eu-west-1'),
      prodServes: servedVersion('prod', 'eu-west-1'),
      release: (await executionsOf('release'))[0],
    }));
    await after(0, () => pipeline.unfreeze('prod', 'bob@example.com'));
    await pipeline.settled();

    // Assess: held at the gate, after its approval, with nothing deployed to prod
    expect(held.staging).toBe('v1.4.0');
    expect(held.prodServes).toBeUndefined();
    expect(held.release?.status).toBe('RUNNING');
    expect(held.prod.inProgress).toMatchObject({
      state: 'Wait while the environment is frozen',
      activity: 'waiting: environment frozen',
    });
    expect(pipeline.approvals.requests.map((r) => r.region)).toContain('eu-west-1');
    // …then, unfrozen, every prod region deploys and the release succeeds
    const [release] = await executionsOf('release');
    expect(release?.status).toBe('SUCCEEDED');
    for (const region of PROD_REGIONS) expect(servedVersion('prod', region)).toBe('v1.4.0');
  });

  it('when a freeze outlasts freezeWaitHours, the stage fails with DeploymentFrozen, a readable cause, and nothing deployed', async () => {
    // Prepare
    await start({
      config: config((c) => {
        c.environments.find((e) => e.name === 'prod')!.freezeWaitHours = 2;
      }),
    });
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.settled();
    await pipeline.freeze('prod', 'change freeze for the sale', 'alice@example.com');

    // Act
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    await pipeline.settled();

    // Assess
    const [release] = await executionsOf('release');
    expect(release?.status).toBe('FAILED');
    expect(release?.error).toBe('DeploymentFrozen');
    expect(readableCause(release?.cause)).toMatch(
      /^DeploymentFrozen: prod is frozen by alice@example\.com since .+: change freeze for the sale; orders-api prod\/eu-west-1 waited 2h \(freezeWaitHours of prod\) and gave up\. Nothing was deployed: unfreeze and redrive to deploy it\.$/,
    );
    for (const region of PROD_REGIONS) expect(servedVersion('prod', region)).toBeUndefined();
    const records = await pipeline.records.history('orders-api');
    expect(records.find((r) => r.environment === 'prod')).toMatchObject({
      region: 'eu-west-1',
      outcome: 'failed',
      detail: expect.stringMatching(/^DeploymentFrozen: prod is frozen by alice@example\.com/),
    });
    const states = (await enteredStates(release!.executionArn)).map((s) => s.name);
    expect(states.filter((s) => s === 'Deploy to region')).toHaveLength(1); // staging only
    // Checked every five minutes for the two hours: bounded, and counted
    expect(states.filter((s) => s === 'Wait while the environment is frozen')).toHaveLength(24);
  });

  it('when a push arrives on a Saturday and PPE deploys on weekdays only, it waits for Monday 09:00 and then deploys', async () => {
    // Prepare: 2026-01-10 is a Saturday
    const saturday = Date.parse('2026-01-10T10:00:00Z');
    const monday0900 = Date.parse('2026-01-12T09:00:00Z');
    await start({
      clock: new AutoAdvanceClock(saturday),
      config: config((c) => {
        const ppe = c.environments.find((e) => e.name === 'ppe')!;
        ppe.deploymentWindows = [
          { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '16:00', timezone: 'UTC' },
        ];
        ppe.freezeWaitHours = 72;
      }),
    });

    // Act
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    const sunday = await after(24 * HOUR, () => target('ppe', 'eu-west-1'));
    await pipeline.settled();

    // Assess
    expect(sunday.inProgress).toMatchObject({
      state: 'Wait for the deployment window',
      activity: 'waiting: outside deployment window',
    });
    const [promotion] = await executionsOf('promote');
    expect(promotion?.status).toBe('SUCCEEDED');
    const states = await enteredStates(promotion!.executionArn);
    expect(states.find((s) => s.name === 'Deploy to region')?.at).toBe(monday0900);
    // One wait until the opening, not a poll every few minutes: 13 transitions + wait, check, choice
    expect(promotion?.stateTransitions).toBe(16);
  });

  it('when a stage fails while its environment is frozen, it still rolls back', async () => {
    // Prepare: the broken build breaches its alarms 3 minutes into the bake
    await start({ behaviours: { badc0ffee: { breachesAlarms: true, alarmAfterMinutes: 3 } } });
    await pipeline.putEvent(event('ecr-push-orders-api-broken.json'));

    // Act: the freeze comes while the stage bakes
    const baking = await after(3 * 60_000, async () => {
      await pipeline.freeze('ppe', 'incident 4711', 'alice@example.com');
      return target('ppe', 'eu-west-1');
    });
    await pipeline.settled();

    // Assess
    expect(baking.inProgress?.activity).toBe('baking');
    const [promotion] = await executionsOf('promote');
    expect(promotion?.status).toBe('FAILED');
    expect(promotion?.error).toBe('AlarmBreached');
    const states = (await enteredStates(promotion!.executionArn)).map((s) => s.name);
    expect(states).toEqual(expect.arrayContaining(['Roll back region', 'Wait for rollback deployment']));
    expect(servedVersion('ppe', 'eu-west-1')).toBeUndefined(); // the bootstrap image again
    expect(await pipeline.freezes.current('ppe', pipeline.clock.now())).toBeDefined();
  });

  it('when asked to freeze an unknown environment or without a reason, it refuses and freezes nothing', async () => {
    // Prepare
    await start();

    // Act
    const unknown = pipeline.freeze('production', 'incident', 'alice');
    const noReason = pipeline.freeze('prod', '  ', 'alice');

    // Assess
    await expect(unknown).rejects.toThrow('unknown environment "production"; known: ppe, staging, prod');
    await expect(noReason).rejects.toThrow('a freeze needs a reason');
    expect(await pipeline.freezes.list(pipeline.clock.now())).toEqual([]);
  });
});
