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

    it('when no names are given, it calls nothing', async () => {
      // Act
      const missing = await source.missing(REGION, []);

      // Assess
      expect(missing).toEqual([]);
      expect(cloudWatch).not.toReceiveAnyCommand();
    });
  });
});
