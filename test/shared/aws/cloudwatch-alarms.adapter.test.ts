import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  type AlarmHistoryItem,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchAlarmSource } from '../../../shared/aws/cloudwatch-alarms.adapter';
import { ManualClock } from '../../../shared/clock';
import { AwsTransientError } from '../../../shared/domain/errors';
import { unmodelledSdkError } from '../../helpers/sdk-errors';

const REGION = 'eu-west-1';
const BAKE_START = Date.UTC(2026, 0, 1, 12, 0);
const NOW = BAKE_START + 30 * 60 * 1000;

function alarm(
  name: string,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  at = BAKE_START - 60_000,
): MetricAlarm {
  return {
    AlarmName: name,
    StateValue: state,
    StateReason: `${name} is ${state}`,
    StateUpdatedTimestamp: new Date(at + 5_000),
    StateTransitionedTimestamp: new Date(at),
  };
}

/** A StateUpdate history item as CloudWatch writes it: HistoryData is a JSON string. */
function transition(
  name: string,
  from: string,
  to: string,
  at: number,
  reason = `Threshold Crossed for ${name}`,
): AlarmHistoryItem {
  return {
    AlarmName: name,
    AlarmType: 'MetricAlarm',
    HistoryItemType: 'StateUpdate',
    Timestamp: new Date(at),
    HistorySummary: `Alarm updated from ${from} to ${to}`,
    HistoryData: JSON.stringify({
      version: '1.0',
      oldState: { stateValue: from, stateReason: 'before' },
      newState: { stateValue: to, stateReason: reason },
    }),
  };
}

/** The history item with other HistoryData (JSON of `data`). */
function withData(item: AlarmHistoryItem, data: unknown): AlarmHistoryItem {
  return { ...item, HistoryData: JSON.stringify(data) };
}

describe('CloudWatchAlarmSource', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  const clock = new ManualClock(NOW);
  const source = new CloudWatchAlarmSource({ clients: new CloudWatchClient({ region: REGION }), clock });

  beforeEach(() => {
    cloudWatch.reset();
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
    cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  });

  describe('breaches', () => {
    it('when watching names and prefixes, it describes names and each prefix, metric and composite alarms', async () => {
      // Prepare
      const selector = { names: ['api-5xx', 'api-latency'], prefixes: ['api-', 'shared-'] };

      // Act
      await source.breaches(REGION, selector, BAKE_START);

      // Assess
      expect(cloudWatch).toReceiveCommandTimes(DescribeAlarmsCommand, 3);
      expect(cloudWatch).toReceiveCommandWith(DescribeAlarmsCommand, {
        AlarmNames: ['api-5xx', 'api-latency'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
      expect(cloudWatch).toReceiveCommandWith(DescribeAlarmsCommand, {
        AlarmNamePrefix: 'api-',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
      expect(cloudWatch).toReceiveCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'shared-' });
      expect(cloudWatch).toReceiveCommandTimes(DescribeAlarmHistoryCommand, 1);
      expect(cloudWatch).toReceiveCommandWith(DescribeAlarmHistoryCommand, {
        HistoryItemType: 'StateUpdate',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        StartDate: new Date(BAKE_START),
        EndDate: new Date(NOW),
      });
    });

    it('when an alarm is in ALARM now, it reports it with its transition time and reason', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [alarm('api-5xx', 'ALARM', BAKE_START + 60_000), alarm('api-latency', 'OK')],
        CompositeAlarms: [
          {
            AlarmName: 'api-health',
            StateValue: 'ALARM',
            StateReason: 'children in ALARM',
            StateUpdatedTimestamp: new Date(BAKE_START + 120_000),
          },
        ],
      });

      // Act
      const breaches = await source.breaches(
        REGION,
        { names: ['api-5xx', 'api-latency', 'api-health'], prefixes: [] },
        BAKE_START,
      );

      // Assess
      expect(breaches).toEqual([
        { alarmName: 'api-5xx', at: BAKE_START + 60_000, reason: 'api-5xx is ALARM' },
        { alarmName: 'api-health', at: BAKE_START + 120_000, reason: 'children in ALARM' },
      ]);
    });

    it('when an alarm fired and recovered during the bake, it reports the transition from the history', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('api-5xx', 'OK')] });
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          transition('api-5xx', 'ALARM', 'OK', BAKE_START + 600_000),
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 300_000, 'Threshold Crossed: 3 datapoints > 5'),
          transition('api-5xx', 'INSUFFICIENT_DATA', 'OK', BAKE_START + 10_000),
        ],
      });

      // Act
      const breaches = await source.breaches(REGION, { names: ['api-5xx'], prefixes: [] }, BAKE_START);

      // Assess
      expect(breaches).toEqual([
        { alarmName: 'api-5xx', at: BAKE_START + 300_000, reason: 'Threshold Crossed: 3 datapoints > 5' },
      ]);
    });

    it('when the history holds other alarms, it keeps only watched names and prefix matches', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          transition('billing-spike', 'OK', 'ALARM', BAKE_START + 1_000),
          transition('api-canary-deleted', 'OK', 'ALARM', BAKE_START + 2_000),
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 3_000),
          { ...transition('api-5xx', 'OK', 'ALARM', BAKE_START + 4_000), HistoryData: 'not json' },
        ],
      });

      // Act
      const breaches = await source.breaches(
        REGION,
        { names: ['api-5xx'], prefixes: ['api-canary'] },
        BAKE_START,
      );

      // Assess
      expect(breaches.map((b) => b.alarmName)).toEqual(['api-canary-deleted', 'api-5xx']);
    });

    it('when an alarm is in ALARM now and also transitioned during the bake, it keeps the earliest breach', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand)
        .resolves({ MetricAlarms: [alarm('api-5xx', 'ALARM', BAKE_START + 900_000)] });
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 900_000),
          transition('api-5xx', 'ALARM', 'OK', BAKE_START + 400_000),
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 200_000, 'first'),
        ],
      });

      // Act
      const breaches = await source.breaches(REGION, { names: ['api-5xx'], prefixes: ['api-'] }, BAKE_START);

      // Assess
      expect(breaches).toEqual([{ alarmName: 'api-5xx', at: BAKE_START + 200_000, reason: 'first' }]);
    });

    it('when results span pages, it follows NextToken for alarms and for history', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand, { AlarmNamePrefix: 'api-' })
        .resolvesOnce({ MetricAlarms: [alarm('api-a', 'ALARM')], NextToken: 'alarms-2' })
        .resolvesOnce({ CompositeAlarms: [alarm('api-b', 'ALARM')] });
      cloudWatch
        .on(DescribeAlarmHistoryCommand)
        .resolvesOnce({
          AlarmHistoryItems: [transition('api-c', 'OK', 'ALARM', BAKE_START + 1)],
          NextToken: 'history-2',
        })
        .resolvesOnce({ AlarmHistoryItems: [transition('api-d', 'OK', 'ALARM', BAKE_START + 2)] });

      // Act
      const breaches = await source.breaches(REGION, { names: [], prefixes: ['api-'] }, BAKE_START);

      // Assess
      expect(cloudWatch).toReceiveNthSpecificCommandWith(2, DescribeAlarmsCommand, {
        AlarmNamePrefix: 'api-',
        NextToken: 'alarms-2',
      });
      expect(cloudWatch).toReceiveNthSpecificCommandWith(2, DescribeAlarmHistoryCommand, {
        NextToken: 'history-2',
      });
      expect(breaches.map((b) => b.alarmName).sort()).toEqual(['api-a', 'api-b', 'api-c', 'api-d']);
    });

    it('when more than 100 names are watched, it describes them in batches of 100', async () => {
      // Prepare
      const names = Array.from({ length: 230 }, (_, i) => `alarm-${i}`);

      // Act
      await source.breaches(REGION, { names, prefixes: [] }, BAKE_START);

      // Assess
      expect(cloudWatch).toReceiveCommandTimes(DescribeAlarmsCommand, 3);
      expect(cloudWatch).toReceiveNthSpecificCommandWith(1, DescribeAlarmsCommand, {
        AlarmNames: names.slice(0, 100),
      });
      expect(cloudWatch).toReceiveNthSpecificCommandWith(3, DescribeAlarmsCommand, {
        AlarmNames: names.slice(200),
      });
    });

    it('when nothing is watched, it calls nothing and reports nothing', async () => {
      // Act
      const breaches = await source.breaches(REGION, { names: [], prefixes: [] }, BAKE_START);

      // Assess
      expect(breaches).toEqual([]);
      expect(cloudWatch).not.toReceiveAnyCommand();
    });

    it('when CloudWatch throttles, it throws AwsTransientError', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmHistoryCommand)
        .rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling', { message: 'Rate exceeded' }));

      // Act
      const result = source.breaches(REGION, { names: ['api-5xx'], prefixes: [] }, BAKE_START);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(/DescribeAlarmHistory in eu-west-1 throttled/);
    });
  });

  describe('breaches, case by case', () => {
    const names = { names: ['api-5xx'], prefixes: [] };

    it.each<[string, MetricAlarm, { alarmName: string; at: number; reason: string }[]]>([
      [
        'in ALARM with a transition time',
        alarm('api-5xx', 'ALARM', BAKE_START + 7_000),
        [{ alarmName: 'api-5xx', at: BAKE_START + 7_000, reason: 'api-5xx is ALARM' }],
      ],
      [
        'in ALARM with only an update time',
        {
          AlarmName: 'api-5xx',
          StateValue: 'ALARM',
          StateReason: 'r',
          StateUpdatedTimestamp: new Date(BAKE_START + 9),
        },
        [{ alarmName: 'api-5xx', at: BAKE_START + 9, reason: 'r' }],
      ],
      [
        'in ALARM with neither name, times nor reason (all optional in the SDK)',
        { StateValue: 'ALARM' },
        [{ alarmName: '', at: 0, reason: 'in ALARM' }],
      ],
      ['in INSUFFICIENT_DATA', alarm('api-5xx', 'INSUFFICIENT_DATA'), []],
    ])('when an alarm is %s now, it reports %j', async (_what, described, expected) => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [described] });

      // Act
      const breaches = await source.breaches(REGION, names, BAKE_START);

      // Assess
      expect(breaches).toEqual(expected);
    });

    it.each<[string, AlarmHistoryItem, { alarmName: string; at: number; reason: string }[]]>([
      [
        'a transition into ALARM at the bake start itself',
        transition('api-5xx', 'OK', 'ALARM', BAKE_START, 'at the start'),
        [{ alarmName: 'api-5xx', at: BAKE_START, reason: 'at the start' }],
      ],
      [
        'a transition into ALARM 1 ms before the bake',
        transition('api-5xx', 'OK', 'ALARM', BAKE_START - 1),
        [],
      ],
      [
        'a transition without a reason',
        withData(transition('api-5xx', 'OK', 'ALARM', BAKE_START + 5), { newState: { stateValue: 'ALARM' } }),
        [{ alarmName: 'api-5xx', at: BAKE_START + 5, reason: 'Alarm updated from OK to ALARM' }],
      ],
      [
        'a transition with a reason that is no text',
        withData(transition('api-5xx', 'OK', 'ALARM', BAKE_START + 5), {
          newState: { stateValue: 'ALARM', stateReason: 42 },
        }),
        [{ alarmName: 'api-5xx', at: BAKE_START + 5, reason: 'Alarm updated from OK to ALARM' }],
      ],
      [
        'a transition with neither reason nor summary',
        {
          ...withData(transition('api-5xx', 'OK', 'ALARM', BAKE_START + 5), {
            newState: { stateValue: 'ALARM' },
          }),
          HistorySummary: undefined,
        },
        [{ alarmName: 'api-5xx', at: BAKE_START + 5, reason: 'entered ALARM' }],
      ],
      [
        'an item without a name',
        { ...transition('api-5xx', 'OK', 'ALARM', BAKE_START), AlarmName: undefined },
        [],
      ],
      [
        'an item without a time',
        { ...transition('api-5xx', 'OK', 'ALARM', BAKE_START), Timestamp: undefined },
        [],
      ],
      [
        'an item without data',
        { ...transition('api-5xx', 'OK', 'ALARM', BAKE_START), HistoryData: undefined },
        [],
      ],
      [
        'an item whose data is null',
        { ...transition('api-5xx', 'OK', 'ALARM', BAKE_START), HistoryData: 'null' },
        [],
      ],
      [
        'an item whose data has no new state',
        withData(transition('api-5xx', 'OK', 'ALARM', BAKE_START), {}),
        [],
      ],
      [
        'an item whose new state has no value',
        withData(transition('api-5xx', 'OK', 'ALARM', BAKE_START), { newState: { stateReason: 'r' } }),
        [],
      ],
    ])('when the history holds %s, it reports %j', async (_what, item, expected) => {
      // Prepare: the prefix makes every name go through the prefix test too.
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [item] });

      // Act
      const breaches = await source.breaches(REGION, { names: ['api-5xx'], prefixes: ['db-'] }, BAKE_START);

      // Assess
      expect(breaches).toEqual(expected);
    });

    it('when a name matches only the second of two prefixes, it is watched', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [transition('db-cpu', 'OK', 'ALARM', BAKE_START + 1)],
      });

      // Act
      const breaches = await source.breaches(REGION, { names: [], prefixes: ['api-', 'db-'] }, BAKE_START);

      // Assess
      expect(breaches.map((b) => b.alarmName)).toEqual(['db-cpu']);
    });

    it('when the state now and the history tell the same transition, it reports it once, with the state now', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand)
        .resolves({ MetricAlarms: [alarm('api-5xx', 'ALARM', BAKE_START + 50)] });
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [transition('api-5xx', 'OK', 'ALARM', BAKE_START + 50, 'from the history')],
      });

      // Act
      const breaches = await source.breaches(REGION, names, BAKE_START);

      // Assess
      expect(breaches).toEqual([{ alarmName: 'api-5xx', at: BAKE_START + 50, reason: 'api-5xx is ALARM' }]);
    });

    it('when an alarm breached several times, it keeps the earliest wherever it comes in the answers', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
        AlarmHistoryItems: [
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 300, 'second'),
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 100, 'first'),
          transition('api-5xx', 'OK', 'ALARM', BAKE_START + 200, 'third in the answer'),
        ],
      });

      // Act
      const breaches = await source.breaches(REGION, names, BAKE_START);

      // Assess
      expect(breaches).toEqual([{ alarmName: 'api-5xx', at: BAKE_START + 100, reason: 'first' }]);
    });

    it('reports the breaches in time order, alarms breaching at the same time by name', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [
          alarm('api-c', 'ALARM', BAKE_START + 30),
          alarm('api-b', 'ALARM', BAKE_START + 10),
          alarm('api-z', 'ALARM', BAKE_START + 20),
          alarm('api-a', 'ALARM', BAKE_START + 20),
        ],
      });

      // Act
      const breaches = await source.breaches(REGION, { names: [], prefixes: ['api-'] }, BAKE_START);

      // Assess
      expect(breaches.map((b) => [b.alarmName, b.at - BAKE_START])).toEqual([
        ['api-b', 10],
        ['api-a', 20],
        ['api-z', 20],
        ['api-c', 30],
      ]);
    });

    it.each<[number, number[]]>([
      [100, [100]],
      [101, [100, 1]],
      [200, [100, 100]],
    ])('when %i names are watched, it describes them in batches of %j', async (count, batches) => {
      // Prepare
      const watched = Array.from({ length: count }, (_, i) => `alarm-${i}`);

      // Act
      await source.breaches(REGION, { names: watched, prefixes: [] }, BAKE_START);

      // Assess
      const described = cloudWatch
        .commandCalls(DescribeAlarmsCommand)
        .map((call) => call.args[0].input.AlarmNames);
      expect(described.map((batch) => batch?.length)).toEqual(batches);
      expect(described.flat()).toEqual(watched);
    });

    it('when a name or a prefix is given twice, it describes it once', async () => {
      // Act
      await source.breaches(REGION, { names: ['api-5xx', 'api-5xx'], prefixes: ['db-', 'db-'] }, BAKE_START);

      // Assess
      expect(cloudWatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
        { AlarmNames: ['api-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
        { AlarmNamePrefix: 'db-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
      ]);
    });

    it('when DescribeAlarms is throttled, it throws AwsTransientError naming the call and the region', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand)
        .rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling', { message: 'Rate exceeded' }));

      // Act
      const result = source.breaches(REGION, names, BAKE_START);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
      await expect(result).rejects.toThrow(/^CloudWatch DescribeAlarms in eu-west-1 throttled/);
    });

    it('when the history is throttled on a later page, it throws rather than report a partial history', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmHistoryCommand)
        .resolvesOnce({ AlarmHistoryItems: [], NextToken: 'history-2' })
        .rejectsOnce(
          unmodelledSdkError(CloudWatchServiceException, 'Throttling', { message: 'Rate exceeded' }),
        );

      // Act
      const result = source.breaches(REGION, names, BAKE_START);

      // Assess
      await expect(result).rejects.toThrow(/^CloudWatch DescribeAlarmHistory in eu-west-1 throttled/);
    });

    it('when no clock is given, the history window ends now on the wall clock', async () => {
      // Prepare
      const wallClock = new CloudWatchAlarmSource({ clients: new CloudWatchClient({ region: REGION }) });
      const before = Date.now();

      // Act
      await wallClock.breaches(REGION, names, BAKE_START);

      // Assess
      const [call] = cloudWatch.commandCalls(DescribeAlarmHistoryCommand);
      const end = call?.args[0].input.EndDate?.getTime() ?? 0;
      expect(end).toBeGreaterThanOrEqual(before);
      expect(end).toBeLessThanOrEqual(Date.now());
    });
  });

  describe('missing', () => {
    it('when some names do not exist, it returns exactly those', async () => {
      // Prepare
      cloudWatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [alarm('api-5xx', 'OK')],
        CompositeAlarms: [{ AlarmName: 'api-health', StateValue: 'OK' }],
      });

      // Act
      const missing = await source.missing(REGION, ['api-5xx', 'api-health', 'api-latncy']);

      // Assess
      expect(cloudWatch).toReceiveCommandWith(DescribeAlarmsCommand, {
        AlarmNames: ['api-5xx', 'api-health', 'api-latncy'],
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      });
      expect(missing).toEqual(['api-latncy']);
    });

    it('when a missing name is given twice, it returns it once', async () => {
      // Act
      const missing = await source.missing(REGION, ['api-latncy', 'api-latncy']);

      // Assess
      expect(missing).toEqual(['api-latncy']);
    });

    it('when DescribeAlarms is throttled, it throws AwsTransientError', async () => {
      // Prepare
      cloudWatch
        .on(DescribeAlarmsCommand)
        .rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling', { message: 'Rate exceeded' }));

      // Act
      const result = source.missing(REGION, ['api-5xx']);

      // Assess
      await expect(result).rejects.toThrow(AwsTransientError);
    });

    it('when no names are given, it calls nothing', async () => {
      // Act
      const missing = await source.missing(REGION, []);

      // Assess
      expect(missing).toEqual([]);
      expect(cloudWatch).not.toReceiveAnyCommand();
    });
  });
});
