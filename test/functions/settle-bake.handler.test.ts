import { createSettleBake } from '../../functions/settle-bake/handler';
import { createWatchBake } from '../../functions/watch-bake/handler';
import { ManualClock } from '../../shared/clock';
import { bakeBreachOf } from '../../shared/domain/bake-breach';
import { LocalAlarmSource } from '../../local-runtime/adapters/local-alarm-source';
import {
  InMemoryBakeWatchStore,
  invokeThroughMiddleware,
  RecordingExecutionControl,
  rejectionOf,
} from '../support/fakes';
import { loadEvent, ppeStage } from '../support/fixtures';

/** The alarm's event (events/cloudwatch-alarm-orders-api-ppe-5xx.json) says it went to ALARM at this time. */
const ALARM_AT = Date.parse('2026-11-20T09:19:30.104Z');
const DEPLOYED_AT = ALARM_AT - 10 * 60_000;
const BAKE_STARTED_AT = ALARM_AT - 2 * 60_000;

describe('settle-bake handler (the alarm state change rule)', () => {
  let clock: ManualClock;
  let watches: InMemoryBakeWatchStore;
  let executions: RecordingExecutionControl;
  let alarms: LocalAlarmSource;
  let settle: ReturnType<typeof createSettleBake>;

  beforeEach(async () => {
    // Prepare: the PPE stage of orders-api bakes (30 minutes), its "Bake" task parked as token-bake
    clock = new ManualClock(BAKE_STARTED_AT);
    watches = new InMemoryBakeWatchStore();
    executions = new RecordingExecutionControl();
    alarms = new LocalAlarmSource(clock);
    alarms.define('eu-west-1', 'orders-api-ppe-5xx');
    settle = createSettleBake({ watches, executions, clock });
    const watch = createWatchBake({ watches, alarms, clock });
    await invokeThroughMiddleware('watch-bake', watch, {
      taskToken: 'token-bake',
      executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
      service: 'orders-api',
      stage: { ...ppeStage(), bakeSeconds: 1800 },
      deployment: { startedAt: DEPLOYED_AT },
    });
    await clock.advance(ALARM_AT + 500 - clock.now());
  });

  it('when a watched alarm goes to ALARM, it fails the bake at once with AlarmBreached and the timing', async () => {
    // Act
    const result = await invokeThroughMiddleware(
      'settle-bake',
      settle,
      loadEvent('cloudwatch-alarm-orders-api-ppe-5xx.json'),
    );

    // Assess
    expect(result).toMatchObject({
      alarmName: 'orders-api-ppe-5xx',
      state: 'ALARM',
      verdicts: [{ outcome: 'breached', alarmName: 'orders-api-ppe-5xx', delivered: true }],
    });
    const [delivery] = executions.deliveries;
    expect(delivery).toMatchObject({ taskToken: 'token-bake', kind: 'failure', error: 'AlarmBreached' });
    expect(bakeBreachOf(delivery!.cause)).toEqual({
      alarmName: 'orders-api-ppe-5xx',
      alarmAt: ALARM_AT,
      reason: expect.stringContaining('was greater than the threshold (5.0)'),
      bakeStartedAt: BAKE_STARTED_AT,
      bakeSeconds: 1800,
      detectedAt: ALARM_AT + 500,
      detectedBy: 'alarm event',
    });
    expect(JSON.parse(delivery!.cause!).errorMessage).toMatch(
      /^orders-api-ppe-5xx went to ALARM at 2026-11-20T09:19:30.104Z, 2 min into the 30 min bake of ppe\/eu-west-1 \(acted on 1 s later, by the alarm event\): Threshold Crossed/,
    );
    expect(await watches.list()).toEqual([]);
  });

  it.each<[string, (event: Record<string, unknown>) => void]>([
    [
      'an alarm the stage does not watch',
      (e) => ((e.detail as Record<string, unknown>).alarmName = 'billing-5xx'),
    ],
    ['the alarm of another region', (e) => (e.region = 'us-east-1')],
    ['a move back to OK', (e) => ((e.detail as { state: Record<string, unknown> }).state.value = 'OK')],
  ])('when the event is about %s, it changes nothing', async (_, change) => {
    // Prepare
    const event = loadEvent('cloudwatch-alarm-orders-api-ppe-5xx.json');
    change(event);

    // Act
    const result = await invokeThroughMiddleware('settle-bake', settle, event);

    // Assess
    expect(result).toMatchObject({ verdicts: [] });
    expect(executions.deliveries).toEqual([]);
    expect(await watches.list()).toHaveLength(1);
  });

  it.each<[string, (event: Record<string, unknown>) => void, string]>([
    ['has no alarm name', (e) => delete (e.detail as Record<string, unknown>).alarmName, 'detail.alarmName'],
    [
      'has a state no alarm has',
      (e) => ((e.detail as { state: Record<string, unknown> }).state.value = 'BROKEN'),
      'detail.state.value',
    ],
    [
      'has a timestamp that is not a time',
      (e) => ((e.detail as { state: Record<string, unknown> }).state.timestamp = 'yesterday'),
      'detail.state.timestamp: must be a timestamp',
    ],
    ['comes from another source', (e) => (e.source = 'aws.ecs'), 'source'],
  ])(
    'when the event %s, it is rejected as malformed, naming the field, and changes nothing',
    async (_, change, field) => {
      // Prepare
      const event = loadEvent('cloudwatch-alarm-orders-api-ppe-5xx.json');
      change(event);

      // Act
      const error = await rejectionOf(invokeThroughMiddleware('settle-bake', settle, event));

      // Assess
      expect(error.name).toBe('MalformedEvent');
      expect(error.message).toContain('malformed CloudWatch Alarm State Change event');
      expect(error.message).toContain(field);
      expect(executions.deliveries).toEqual([]);
      expect(await watches.list()).toHaveLength(1);
    },
  );

  it('when the bake has already ended, the event leaves its watch to the sweep and answers nothing', async () => {
    // Prepare
    await clock.advance(30 * 60_000);

    // Act
    const result = await invokeThroughMiddleware(
      'settle-bake',
      settle,
      loadEvent('cloudwatch-alarm-orders-api-ppe-5xx.json'),
    );

    // Assess
    expect(result).toMatchObject({ verdicts: [] });
    expect(executions.deliveries).toEqual([]);
  });
});
