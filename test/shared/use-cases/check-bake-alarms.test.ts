import { ManualClock } from '../../../shared/clock';
import {
  AlarmBreachedError,
  InvalidStepInputError,
  PipelineMisconfiguredError,
} from '../../../shared/domain/errors';
import { checkBakeAlarms } from '../../../shared/use-cases/check-bake-alarms';
import type { StageRun } from '../../../shared/domain/stage-run.schema';
import { LocalAlarmSource } from '../../../local-runtime/adapters/local-alarm-source';
import { ppeStageRun } from '../../support/fixtures';

const REGION = 'eu-west-1';
const ERRORS = 'orders-api-ppe-5xx';
const LATENCY = 'orders-api-ppe-latency-p99';
const MINUTE = 60_000;

describe('checkBakeAlarms', () => {
  let clock: ManualClock;
  let alarms: LocalAlarmSource;
  let run: StageRun;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0));
    alarms = new LocalAlarmSource(clock);
    alarms.define(REGION, ERRORS);
    alarms.define(REGION, LATENCY);
    await clock.advance(10 * MINUTE);
    run = ppeStageRun({
      deployment: {
        previousTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:1',
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:000000000000:task-definition/orders-api:2',
        deploymentId: 'ecs-svc/0000000000000000002',
        startedAt: clock.now(),
      },
    });
  });

  it('when no watched alarm fired since the deploy, it returns the watched alarms and the window', async () => {
    // Prepare
    const deployedAt = clock.now();
    await clock.advance(run.stage.bakeSeconds * 1000);

    // Act
    const result = await checkBakeAlarms(run, { alarms, clock });

    // Assess
    expect(result).toEqual({
      watched: { names: [ERRORS], prefixes: ['orders-api-ppe-latency'] },
      from: deployedAt,
      to: deployedAt + 5 * MINUTE,
      breaches: [],
    });
  });

  it('when an alarm went to ALARM and back to OK during the bake, it throws AlarmBreached naming the alarm', async () => {
    // Prepare
    await clock.advance(MINUTE);
    alarms.set(REGION, LATENCY, 'ALARM', 'p99 latency 2300 ms > 1000 ms');
    await clock.advance(MINUTE);
    alarms.set(REGION, LATENCY, 'OK', 'p99 latency back to 200 ms');
    await clock.advance(3 * MINUTE);

    // Act
    const check = checkBakeAlarms(run, { alarms, clock });

    // Assess
    const error = await check.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlarmBreachedError);
    expect((error as Error).name).toBe('AlarmBreached');
    expect((error as Error).message).toBe(
      'alarm(s) in ALARM during the bake of ppe/eu-west-1: ' +
        `${LATENCY} at 2026-11-20T09:11:00.000Z (p99 latency 2300 ms > 1000 ms)`,
    );
  });

  it('when an alarm was in ALARM before the deploy and still is, it throws AlarmBreached', async () => {
    // Prepare: the alarm fired before the service was updated
    const firing = new ManualClock(run.deployment!.startedAt - 2 * MINUTE);
    const history = new LocalAlarmSource(firing);
    history.define(REGION, LATENCY);
    history.set(REGION, ERRORS, 'ALARM', '5xx rate 12% > 1%');
    await clock.advance(5 * MINUTE);

    // Act
    const check = checkBakeAlarms(run, { alarms: history, clock });

    // Assess
    await expect(check).rejects.toThrow(
      new AlarmBreachedError(
        `alarm(s) in ALARM during the bake of ppe/eu-west-1: ${ERRORS} at 2026-11-20T09:08:00.000Z (5xx rate 12% > 1%)`,
      ),
    );
  });

  it('when an alarm fired and recovered before the deploy, it does not count it', async () => {
    // Prepare
    const earlier = new ManualClock(run.deployment!.startedAt - 5 * MINUTE);
    const history = new LocalAlarmSource(earlier);
    history.define(REGION, LATENCY);
    history.set(REGION, ERRORS, 'ALARM', '5xx rate 12% > 1%');
    await earlier.advance(MINUTE);
    history.set(REGION, ERRORS, 'OK', '5xx rate 0%');
    await clock.advance(5 * MINUTE);

    // Act
    const result = await checkBakeAlarms(run, { alarms: history, clock });

    // Assess
    expect(result.breaches).toEqual([]);
  });

  it('when a configured alarm does not exist, it throws PipelineMisconfigured naming it and the config path', async () => {
    // Prepare
    const empty = new LocalAlarmSource(clock);
    empty.define(REGION, LATENCY);

    // Act
    const check = checkBakeAlarms(run, { alarms: empty, clock });

    // Assess
    const error = await check.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect((error as Error).message).toBe(
      `alarm(s) ${ERRORS} do not exist in eu-west-1: the bake would watch nothing; ` +
        'create them or fix services.orders-api.environments.ppe.alarms',
    );
  });

  it('when the run carries no deployment result, it throws InvalidStepInput', async () => {
    // Prepare
    const { deployment: _deployment, ...undeployed } = run;

    // Act
    const check = checkBakeAlarms(undeployed, { alarms, clock });

    // Assess
    await expect(check).rejects.toThrow(
      new InvalidStepInputError('the bake needs the deploy step result (deployment.startedAt)'),
    );
  });

  it('when two alarms fired during the bake, the error lists both as the alarm source gives them (earliest first, as the CloudWatch adapter does), separated by "; "', async () => {
    // Prepare
    await clock.advance(MINUTE);
    alarms.set(REGION, LATENCY, 'ALARM', 'p99 slow');
    await clock.advance(MINUTE);
    alarms.set(REGION, ERRORS, 'ALARM', '5xx high');

    // Act
    const error = await checkBakeAlarms(run, { alarms, clock }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe(
      'alarm(s) in ALARM during the bake of ppe/eu-west-1: ' +
        `${LATENCY} at 2026-11-20T09:11:00.000Z (p99 slow); ${ERRORS} at 2026-11-20T09:12:00.000Z (5xx high)`,
    );
  });

  it('when two configured alarms do not exist, the error names both separated by ", "', async () => {
    // Prepare
    const named = { ...run, stage: { ...run.stage, alarms: { names: ['a-5xx', 'a-p99'], prefixes: [] } } };

    // Act
    const error = await checkBakeAlarms(named, { alarms, clock }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toBe(
      'alarm(s) a-5xx, a-p99 do not exist in eu-west-1: the bake would watch nothing; ' +
        'create them or fix services.orders-api.environments.ppe.alarms',
    );
  });
});
