import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchAlarmSource } from '../../shared/aws/cloudwatch-alarms.adapter';
import { ManualClock } from '../../shared/clock';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The CloudWatch alarm source against moto, over the JSON 1.0 protocol the SDK's client speaks (moto runs on a
 * botocore of its own, not checkov's older one: scripts/python-tools.sh). One gap shapes this file
 * (docs/aws-conformance.md): moto has no DescribeAlarmHistory. The breach tests answer it with an empty history before the request
 *   leaves the client (and it is not counted as checked); the history's reading stays covered by
 *   test/shared/aws/cloudwatch-alarms.adapter.test.ts.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let cloudwatch: CloudWatchClient;
let clock: ManualClock;
beforeAll(async () => {
  moto = await startMotoServer();
  // Builds the alarms the tests need; only the adapter's own clients count as checked.
  cloudwatch = new CloudWatchClient(moto.clientConfig(REGION));
}, 90_000);
afterAll(() => moto?.stop());
beforeEach(() => {
  clock = new ManualClock(Date.now());
});

/** The adapter's client, as the adapter builds it (its default protocol), counted as checked. */
function adapterClient(): CloudWatchClient {
  return moto.adapterClient('cloudwatch-alarms.adapter', CloudWatchClient, REGION);
}

/** A client whose DescribeAlarmHistory (which moto lacks) answers an empty history; everything else reaches moto. */
function withoutAlarmHistory(): CloudWatchClient {
  const client = adapterClient();
  client.middlewareStack.add(
    (next, context) => async (args) =>
      context.commandName === DescribeAlarmHistoryCommand.name
        ? { output: { AlarmHistoryItems: [], $metadata: {} }, response: {} }
        : next(args),
    // Ahead of the contract recorder: the empty history is ours, not moto's.
    { step: 'initialize', priority: 'high', name: 'motoHasNoAlarmHistory' },
  );
  return client;
}

async function alarm(name: string, state?: { value: 'ALARM' | 'OK'; reason: string }): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
  if (state)
    await cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: state.value, StateReason: state.reason }),
    );
}

describe('CloudWatch alarm source against moto', () => {
  describe('missing', () => {
    it('when some watched alarms do not exist, it names exactly those', async () => {
      // Prepare
      await alarm('missing-orders-5xx');
      await alarm('missing-orders-latency');
      const source = new CloudWatchAlarmSource({ clients: adapterClient(), clock });

      // Act
      const missing = await source.missing(REGION, [
        'missing-orders-5xx',
        'missing-orders-latency',
        'missing-orders-typo',
      ]);

      // Assess
      expect(missing).toEqual(['missing-orders-typo']);
    });
  });

  describe('breaches (history answered empty: moto has no DescribeAlarmHistory)', () => {
    it('when a watched alarm is in ALARM now, it reports it with the reason and the time CloudWatch holds', async () => {
      // Prepare
      const since = clock.now() - 60_000;
      await alarm('now-orders-5xx', {
        value: 'ALARM',
        reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0',
      });
      await alarm('now-orders-healthy', {
        value: 'OK',
        reason: 'Threshold Crossed: 1 datapoint [0.0] < 5.0',
      });
      const source = new CloudWatchAlarmSource({ clients: withoutAlarmHistory(), clock });

      // Act
      const breaches = await source.breaches(
        REGION,
        { names: ['now-orders-5xx', 'now-orders-healthy'], prefixes: [] },
        since,
      );

      // Assess
      expect(breaches).toEqual([
        {
          alarmName: 'now-orders-5xx',
          at: expect.any(Number) as number,
          reason: 'Threshold Crossed: 1 datapoint [12.0] > 5.0',
        },
      ]);
      expect(breaches[0]!.at).toBeGreaterThan(since);
    });

    it('when a prefix is watched, it finds the alarms in ALARM whose names start with it, and only those', async () => {
      // Prepare
      await alarm('prefix-orders-latency-p99', { value: 'ALARM', reason: 'p99 above 800 ms' });
      await alarm('prefix-orders-latency-p50', { value: 'OK', reason: 'p50 below 100 ms' });
      await alarm('prefix-payments-latency-p99', { value: 'ALARM', reason: 'not ours' });
      const source = new CloudWatchAlarmSource({ clients: withoutAlarmHistory(), clock });

      // Act
      const breaches = await source.breaches(
        REGION,
        { names: [], prefixes: ['prefix-orders-latency'] },
        clock.now() - 60_000,
      );

      // Assess
      expect(breaches.map((b) => [b.alarmName, b.reason])).toEqual([
        ['prefix-orders-latency-p99', 'p99 above 800 ms'],
      ]);
    });

    it('when a name and a prefix both match an alarm in ALARM, it reports it once', async () => {
      // Prepare
      await alarm('both-orders-5xx', { value: 'ALARM', reason: 'Threshold Crossed' });
      const source = new CloudWatchAlarmSource({ clients: withoutAlarmHistory(), clock });

      // Act
      const breaches = await source.breaches(
        REGION,
        { names: ['both-orders-5xx'], prefixes: ['both-orders'] },
        clock.now() - 60_000,
      );

      // Assess
      expect(breaches.map((b) => b.alarmName)).toEqual(['both-orders-5xx']);
    });
  });
});
