import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import type { PipelineConfig } from '../../shared/config/config.schema';
import type { DeploymentRecord } from '../../shared/domain/deployment-record';
import { LocalPipeline, type LocalPipelineOptions } from '../../local-runtime/local-pipeline';

/**
 * The watching bake (issue #19), on the real statemachines/promote.asl.yml executed by the local runtime
 * with the real handlers: a watched alarm ends a 30-minute PPE bake as soon as its event arrives (or the
 * sweep reads it when the event is lost), and a quiet bake costs what the Wait state did. Times are
 * pipeline time (the local clock jumps ahead when nothing runs).
 */
const ROOT = join(__dirname, '..', '..');
const event = (name: string): unknown => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8'));
const GOOD = '4b825dc';
const BROKEN = 'badc0ffee';
const BAKE_MINUTES = 30;
const ALARM = 'orders-api-ppe-5xx';

/** The sample config with a 30-minute PPE bake for orders-api (production's bake time). */
function config(): PipelineConfig {
  const loaded = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
  loaded.services.find((s) => s.name === 'orders-api')!.environments.ppe!.bakeMinutes = BAKE_MINUTES;
  return loaded;
}

let pipeline: LocalPipeline;

afterEach(async () => {
  await pipeline?.close();
});

async function start(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  pipeline = await LocalPipeline.start({ config: config(), ...options });
  return pipeline;
}

async function push(name: string): Promise<void> {
  await pipeline.putEvent(event(name));
  await pipeline.settled();
}

async function execution(commitPrefix: string) {
  const { executions } = await pipeline.engine.listExecutions({});
  const found = executions.find((e) => e.name.includes(`-${commitPrefix}`))!;
  const described = await pipeline.engine.describeExecution({ executionArn: found.executionArn });
  const history = (await pipeline.engine.getExecutionHistory({ executionArn: found.executionArn })).events;
  const entered = (state: string): number[] =>
    history
      .filter((e) => e.type.endsWith('StateEntered') && e.details.name === state)
      .map((e) => new Date(e.timestamp).getTime());
  return { described, history, entered };
}

/** When the watched alarm last went to ALARM, in pipeline time. */
function alarmFiredAt(): number {
  const alarm = pipeline.alarms.snapshot().find((a) => a.region === 'eu-west-1' && a.name === ALARM)!;
  return alarm.history.filter((h) => h.state === 'ALARM').at(-1)!.at;
}

async function rolledBackRecord(): Promise<DeploymentRecord> {
  const records = await pipeline.records.history('orders-api');
  return records.find((r) => r.execution.includes(`-${BROKEN}`) && r.outcome === 'rolled back')!;
}

describe('the bake watches its alarms', () => {
  it('when an alarm fires at minute 1 of a 30-minute bake, the rollback starts within 60 s, not at the end', async () => {
    // Prepare
    await start({ behaviours: { [GOOD]: {}, [BROKEN]: { breachesAlarms: true, alarmAfterMinutes: 1 } } });
    await push('ecr-push-orders-api.json');

    // Act
    await push('ecr-push-orders-api-broken.json');

    // Assess
    const broken = await execution(BROKEN);
    const [bakeStarted] = broken.entered('Bake');
    const [rollbackStarted] = broken.entered('Roll back region');
    const alarmAt = alarmFiredAt();
    expect(broken.described.status).toBe('FAILED');
    expect(broken.described.error).toBe('AlarmBreached');
    expect(alarmAt - bakeStarted!).toBe(60_000);
    expect(rollbackStarted! - alarmAt).toBeGreaterThanOrEqual(0);
    expect(rollbackStarted! - alarmAt).toBeLessThanOrEqual(60_000);
    expect(broken.entered('Check alarms after bake')).toEqual([]);
    expect(broken.described.cause).toContain(
      `${ALARM} went to ALARM at ${new Date(alarmAt).toISOString()}, 1 min into the 30 min bake of ppe/eu-west-1`,
    );
    expect(broken.described.cause).toContain('by the alarm event');
    expect(broken.described.cause).toContain(
      `rollback started at ${new Date(rollbackStarted!).toISOString()}`,
    );
    const record = await rolledBackRecord();
    expect(record.bakeBreach).toEqual({
      alarmName: ALARM,
      alarmAt,
      bakeStartedAt: expect.any(Number),
      bakeSeconds: BAKE_MINUTES * 60,
      bakeElapsedMs: 60_000,
      detectedBy: 'alarm event',
    });
    expect(record.rollbackStartedAt).toBe(rollbackStarted);
  });

  it('when the alarm event is lost, the sweep catches the alarm within one period', async () => {
    // Prepare
    await start({
      // 7 min 15 s: off the sweep's minute grid, so the rollback waits for the next sweep.
      behaviours: { [GOOD]: {}, [BROKEN]: { breachesAlarms: true, alarmAfterMinutes: 7.25 } },
      dropAlarmEvents: true,
      sweepEveryMs: 60_000,
    });
    await push('ecr-push-orders-api.json');

    // Act
    await push('ecr-push-orders-api-broken.json');

    // Assess
    const broken = await execution(BROKEN);
    const [rollbackStarted] = broken.entered('Roll back region');
    const alarmAt = alarmFiredAt();
    expect(broken.described.error).toBe('AlarmBreached');
    expect(rollbackStarted! - alarmAt).toBeGreaterThan(0);
    expect(rollbackStarted! - alarmAt).toBeLessThanOrEqual(60_000);
    expect(broken.described.cause).toContain('7 min 15 s into the 30 min bake of ppe/eu-west-1');
    expect(broken.described.cause).toContain('by the sweep');
    expect((await rolledBackRecord()).bakeBreach).toMatchObject({
      detectedBy: 'sweep',
      bakeElapsedMs: 435_000,
    });
  });

  it('when an alarm fires and clears before the end and its event is lost, the final check still finds it in the history', async () => {
    // Prepare
    await start({ behaviours: { [GOOD]: {}, [BROKEN]: {} }, dropAlarmEvents: true });
    await push('ecr-push-orders-api.json');
    let brokenBakeSeen = false;
    pipeline.engine.onEvent((e) => {
      if (brokenBakeSeen || !e.executionArn.includes(`-${BROKEN}`)) return;
      if (e.type !== 'TaskStateEntered' || e.details.name !== 'Bake') return;
      brokenBakeSeen = true;
      void pipeline.clock
        .sleep(60_000)
        .then(() => {
          pipeline.alarms.set('eu-west-1', ALARM, 'ALARM', 'Threshold Crossed: 5xx rate above 5%');
          return pipeline.clock.sleep(60_000);
        })
        .then(() => pipeline.alarms.set('eu-west-1', ALARM, 'OK', 'back to normal'));
    });

    // Act
    await push('ecr-push-orders-api-broken.json');

    // Assess
    const broken = await execution(BROKEN);
    const [bakeStarted] = broken.entered('Bake');
    const [finalCheck] = broken.entered('Check alarms after bake');
    expect(brokenBakeSeen).toBe(true);
    expect(pipeline.alarms.stateOf('eu-west-1', ALARM)).toBe('OK');
    expect(broken.described.error).toBe('AlarmBreached');
    expect(finalCheck! - bakeStarted!).toBe(BAKE_MINUTES * 60_000);
    expect(broken.described.cause).toContain(`${ALARM} at ${new Date(alarmFiredAt()).toISOString()}`);
    expect(broken.entered('Roll back region')).toHaveLength(1);
  });

  it('when nothing breaches, a 30-minute bake times out into the final check and costs the 13 transitions it always did', async () => {
    // Prepare
    await start();

    // Act
    await push('ecr-push-orders-api.json');

    // Assess
    const good = await execution(GOOD);
    const [bakeStarted] = good.entered('Bake');
    const [finalCheck] = good.entered('Check alarms after bake');
    expect(good.described.status).toBe('SUCCEEDED');
    expect(good.described.stateTransitions).toBe(13);
    expect(finalCheck! - bakeStarted!).toBe(BAKE_MINUTES * 60_000);
    expect(good.history.filter((e) => e.type === 'TaskTimedOut').map((e) => e.details.name)).toEqual([
      'Bake',
    ]);
  });
});
