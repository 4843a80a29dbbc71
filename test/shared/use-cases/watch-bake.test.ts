import { ManualClock } from '../../../shared/clock';
import { bakeBreachOf } from '../../../shared/domain/bake-breach';
import { AlarmBreachedError, PipelineMisconfiguredError } from '../../../shared/domain/errors';
import {
  onAlarmStateChange,
  sweepBakeWatches,
  watchBake,
  type WatchBakeRequest,
} from '../../../shared/use-cases/watch-bake';
import { LocalAlarmSource } from '../../../local-runtime/adapters/local-alarm-source';
import { InMemoryBakeWatchStore, RecordingExecutionControl, rejectionOf } from '../../support/fakes';
import { ppeStage } from '../../support/fixtures';

const START = Date.UTC(2026, 10, 20, 9, 0);

describe('watching a bake', () => {
  let clock: ManualClock;
  let watches: InMemoryBakeWatchStore;
  let executions: RecordingExecutionControl;
  let alarms: LocalAlarmSource;
  let request: WatchBakeRequest;

  beforeEach(async () => {
    clock = new ManualClock(START);
    watches = new InMemoryBakeWatchStore();
    executions = new RecordingExecutionControl();
    alarms = new LocalAlarmSource(clock);
    alarms.define('eu-west-1', 'orders-api-ppe-5xx');
    alarms.define('eu-west-1', 'orders-api-ppe-latency-p99');
    request = {
      taskToken: 'token-bake',
      executionName: 'push-orders-api-1',
      service: 'orders-api',
      stage: { ...ppeStage(), bakeSeconds: 600 },
      deployment: { startedAt: START },
    };
    await clock.advance(120_000); // the deploy and the smoke checks
  });

  it('when the bake begins, it parks the token until the bake time is up', async () => {
    // Act
    const watching = await watchBake(request, { watches, alarms, clock });

    // Assess
    expect(watching).toEqual({ bakeStartedAt: START + 120_000, endsAt: START + 720_000 });
    expect(await watches.list()).toEqual([
      {
        executionName: 'push-orders-api-1',
        service: 'orders-api',
        environment: 'ppe',
        region: 'eu-west-1',
        taskToken: 'token-bake',
        alarms: request.stage.alarms,
        deployedAt: START,
        bakeStartedAt: START + 120_000,
        bakeSeconds: 600,
        expiresAt: START + 720_000,
      },
    ]);
  });

  it('when an alarm fired between the deploy and the bake (its event found no token), the bake fails at once', async () => {
    // Prepare
    clock = new ManualClock(START + 30_000);
    alarms = new LocalAlarmSource(clock);
    alarms.define('eu-west-1', 'orders-api-ppe-5xx');
    alarms.set('eu-west-1', 'orders-api-ppe-latency-p99', 'ALARM', 'p99 above 2 s');
    alarms.set('eu-west-1', 'orders-api-ppe-latency-p99', 'OK', 'back to normal');
    await clock.advance(90_000);

    // Act
    const error = await rejectionOf(watchBake(request, { watches, alarms, clock }));

    // Assess
    expect(error).toBeInstanceOf(AlarmBreachedError);
    expect(error.message).toBe(
      'orders-api-ppe-latency-p99 went to ALARM at 2026-11-20T09:00:30.000Z, after the deploy, before the ' +
        '10 min bake of ppe/eu-west-1 began (acted on 1 min 30 s later, by the bake start): p99 above 2 s',
    );
    expect(await watches.list()).toEqual([]);
  });

  it('when a named alarm does not exist, the bake fails at once saying which and where to fix it', async () => {
    // Prepare
    const stage = { ...request.stage, alarms: { names: ['orders-api-ppe-5xxx'], prefixes: [] } };

    // Act
    const error = await rejectionOf(watchBake({ ...request, stage }, { watches, alarms, clock }));

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('orders-api-ppe-5xxx do not exist in eu-west-1');
    expect(error.message).toContain('services.orders-api.environments.ppe.alarms');
    expect(await watches.list()).toEqual([]);
  });

  it('when the sweep runs, it ends the bakes whose alarms breached, leaves the quiet ones and drops the ended ones', async () => {
    // Prepare
    const deps = { watches, alarms, executions, clock };
    await watchBake(request, deps);
    await watchBake({ ...request, executionName: 'push-orders-api-2', taskToken: 'token-quiet' }, deps);
    const otherRegion = { ...request.stage, region: 'us-east-1', alarms: { names: [], prefixes: ['x'] } };
    await watchBake({ ...request, executionName: 'old', taskToken: 'token-old', stage: otherRegion }, deps);
    await clock.advance(60_000);
    alarms.set('eu-west-1', 'orders-api-ppe-5xx', 'ALARM', '5xx above 5%');
    await clock.advance(30_000);
    // push-orders-api-2 only watches what no alarm is named
    const [quiet] = (await watches.list()).filter((w) => w.executionName === 'push-orders-api-2');
    await watches.put({ ...quiet!, alarms: { names: [], prefixes: ['payments-'] } });
    const [old] = (await watches.list()).filter((w) => w.executionName === 'old');
    await watches.put({ ...old!, expiresAt: clock.now() - 1 });

    // Act
    const verdicts = await sweepBakeWatches(deps);

    // Assess
    expect(verdicts.map((v) => [v.execution, v.outcome]).sort()).toEqual([
      ['old', 'expired'],
      ['push-orders-api-1', 'breached'],
      ['push-orders-api-2', 'quiet'],
    ]);
    expect(executions.deliveries.map((d) => [d.taskToken, d.error])).toEqual([
      ['token-bake', 'AlarmBreached'],
    ]);
    expect(bakeBreachOf(executions.deliveries[0]!.cause)).toMatchObject({
      alarmName: 'orders-api-ppe-5xx',
      alarmAt: START + 180_000,
      detectedAt: START + 210_000,
      detectedBy: 'sweep',
    });
    expect((await watches.list()).map((w) => w.executionName)).toEqual(['push-orders-api-2']);
  });

  it('when Step Functions throttles the callback, the watch stays for the next event or sweep', async () => {
    // Prepare
    const deps = { watches, alarms, executions, clock };
    await watchBake(request, deps);
    alarms.set('eu-west-1', 'orders-api-ppe-5xx', 'ALARM', '5xx above 5%');
    executions.throttleNext(1);

    // Act
    const error = await rejectionOf(sweepBakeWatches(deps));
    const retried = await sweepBakeWatches(deps);

    // Assess
    expect(error.name).toBe('AwsTransientError');
    expect(retried.map((v) => v.outcome)).toEqual(['breached']);
    expect(executions.deliveries).toHaveLength(1);
  });

  describe('the alarm decision, one case a row (mutation-tested)', () => {
    const ALARM_AT = START + 150_000;
    type Change = Parameters<typeof onAlarmStateChange>[0];
    const change = (over: Partial<Change> = {}): Change => ({
      region: 'eu-west-1',
      alarmName: 'orders-api-ppe-5xx',
      state: 'ALARM',
      at: ALARM_AT,
      reason: '5xx above 5%',
      ...over,
    });

    it.each<[string, Partial<Change>, number, boolean]>([
      ['a named alarm went to ALARM during the bake', {}, 0, true],
      ['an alarm of a watched prefix went to ALARM', { alarmName: 'orders-api-ppe-latency-p50' }, 0, true],
      ['the alarm went to OK', { state: 'OK' }, 0, false],
      ['the alarm went to INSUFFICIENT_DATA', { state: 'INSUFFICIENT_DATA' }, 0, false],
      ['the alarm is in another region', { region: 'us-east-1' }, 0, false],
      ['the alarm is not watched', { alarmName: 'payments-api-ppe-5xx' }, 0, false],
      ['the name only contains a watched prefix', { alarmName: 'x-orders-api-ppe-latency' }, 0, false],
      ['the alarm fired at the deploy itself', { at: START }, 0, true],
      ['the alarm fired before the deploy', { at: START - 1 }, 0, false],
      ['the event comes at the last moment of the bake', {}, 600_000, true],
      ['the event comes after the bake ended', {}, 600_001, false],
    ])('when %s, the bake is ended: %s', async (_name, over, later, ends) => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      await clock.advance(later);

      // Act
      const verdicts = await onAlarmStateChange(change(over), deps);

      // Assess
      expect(verdicts.length).toBe(ends ? 1 : 0);
      expect(executions.deliveries.length).toBe(ends ? 1 : 0);
      expect((await watches.list()).length).toBe(ends ? 0 : 1);
    });

    it('when a watched alarm goes to ALARM, the verdict and the cause name the alarm, the stage and the timing', async () => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      await clock.advance(45_000);

      // Act
      const verdicts = await onAlarmStateChange(change(), deps);

      // Assess
      expect(verdicts).toEqual([
        {
          execution: 'push-orders-api-1',
          environment: 'ppe',
          region: 'eu-west-1',
          outcome: 'breached',
          alarmName: 'orders-api-ppe-5xx',
          delivered: true,
        },
      ]);
      expect(executions.deliveries).toEqual([
        expect.objectContaining({ taskToken: 'token-bake', kind: 'failure', error: 'AlarmBreached' }),
      ]);
      expect(bakeBreachOf(executions.deliveries[0]!.cause)).toEqual({
        alarmName: 'orders-api-ppe-5xx',
        alarmAt: ALARM_AT,
        reason: '5xx above 5%',
        bakeStartedAt: START + 120_000,
        bakeSeconds: 600,
        detectedAt: START + 165_000,
        detectedBy: 'alarm event',
      });
      expect(JSON.parse(executions.deliveries[0]!.cause!).errorMessage).toBe(
        'orders-api-ppe-5xx went to ALARM at 2026-11-20T09:02:30.000Z, 30 s into the 10 min bake of ' +
          'ppe/eu-west-1 (acted on 15 s later, by the alarm event): 5xx above 5%',
      );
    });

    it('when an alarm ends two bakes watching it, each gets its own verdict; others are left', async () => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      await watchBake({ ...request, executionName: 'push-orders-api-2', taskToken: 'token-2' }, deps);
      const elsewhere = { ...request.stage, environment: 'prod' };
      await watchBake({ ...request, executionName: 'x', taskToken: 'token-x', stage: elsewhere }, deps);
      const [prod] = (await watches.list()).filter((w) => w.executionName === 'x');
      await watches.put({ ...prod!, alarms: { names: ['other'], prefixes: [] } });

      // Act
      const verdicts = await onAlarmStateChange(change(), deps);

      // Assess
      expect(verdicts.map((v) => v.execution).sort()).toEqual(['push-orders-api-1', 'push-orders-api-2']);
      expect((await watches.list()).map((w) => w.executionName)).toEqual(['x']);
    });

    it('when Step Functions no longer waits for the token, the watch is removed and the verdict says not delivered', async () => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      const gone = Object.assign(new Error('Invalid token'), { name: 'InvalidToken' });
      const ended = { ...deps, executions: new FailingCallbacks(gone) };

      // Act
      const verdicts = await onAlarmStateChange(change(), ended);

      // Assess
      expect(verdicts).toMatchObject([{ outcome: 'breached', delivered: false }]);
      expect(await watches.list()).toEqual([]);
    });

    it('when the callback fails with another error, it is passed on and the watch stays', async () => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      const broken = new Error('boom');
      const failing = {
        ...deps,
        executions: new FailingCallbacks(broken),
      };

      // Act
      const error = await rejectionOf(onAlarmStateChange(change(), failing));

      // Assess
      expect(error).toBe(broken);
      expect(await watches.list()).toHaveLength(1);
    });

    it('when the callback fails without an error object, that rejection is passed on', async () => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      const failing = { ...deps, executions: new FailingCallbacks(undefined) };

      // Act
      const outcome = await onAlarmStateChange(change(), failing).then(
        () => 'resolved',
        (error: unknown) => error,
      );

      // Assess
      expect(outcome).toBeUndefined();
    });

    it('when two named alarms do not exist, the bake fails naming both separated by ", "', async () => {
      // Prepare
      const stage = { ...request.stage, alarms: { names: ['a-5xx', 'a-p99'], prefixes: [] } };

      // Act
      const error = await rejectionOf(watchBake({ ...request, stage }, { watches, alarms, clock }));

      // Assess
      expect(error.message).toBe(
        'alarm(s) a-5xx, a-p99 do not exist in eu-west-1: the bake would watch nothing; ' +
          'create them or fix services.orders-api.environments.ppe.alarms',
      );
    });

    it.each([
      ['at the last moment of the bake, it is swept as usual', 600_000, 'quiet'],
      ['one millisecond after the bake, it is dropped as expired', 600_001, 'expired'],
    ])('when a quiet watch is swept %s', async (_name, later, outcome) => {
      // Prepare
      const deps = { watches, alarms, executions, clock };
      await watchBake(request, deps);
      await clock.advance(later);

      // Act
      const verdicts = await sweepBakeWatches(deps);

      // Assess
      expect(verdicts).toEqual([
        { execution: 'push-orders-api-1', environment: 'ppe', region: 'eu-west-1', outcome },
      ]);
      expect((await watches.list()).length).toBe(outcome === 'quiet' ? 1 : 0);
    });

    it('when the bake starts with no alarm fired, nothing is delivered and the watch is kept', async () => {
      // Act
      await watchBake(request, { watches, alarms, clock });

      // Assess
      expect(executions.deliveries).toEqual([]);
      expect(await watches.list()).toHaveLength(1);
    });
  });
});

/** Step Functions refusing every SendTaskFailure with `error` (a token no longer waiting, or an outage). */
class FailingCallbacks extends RecordingExecutionControl {
  constructor(private readonly error: Error | undefined) {
    super();
  }

  override async sendTaskFailure(): Promise<boolean> {
    throw this.error;
  }
}
