import { CloudWatchServiceException, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import 'aws-sdk-client-mock-jest';
import { TrafficMetricsUnavailable } from '../../../shared/aws/traffic-metrics.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { KpiThreshold } from '../../../shared/domain/kpi-judgement';
import { unmodelledSdkError } from '../../helpers/sdk-errors';
import { mockedCloudWatchMetrics } from '../../support/cloudwatch-metrics';
import { CHECKOUTS } from '../../support/kpis';

const FROM = Date.UTC(2026, 10, 30, 9, 0);
const TWO_MINUTES = { from: FROM, to: FROM + 2 * 60_000 };
const VERSIONS = { blue: '1.4.0', green: '1.5.0' };
const PAYMENTS: KpiThreshold = {
  ...CHECKOUTS,
  name: 'payment-success',
  metricName: 'PaymentSucceeded',
  statistic: 'Average',
  per: 'none',
};

describe('CloudWatchTrafficMetrics.sampleKpis: the service’s own metrics of blue and green', () => {
  const { cloudwatch, source, result } = mockedCloudWatchMetrics(FROM);

  it('when asked for a KPI, it reads its statistic and sample count per side, each selected by the revision dimension', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('kpi0_blue_value', [7_372]),
        result('kpi0_blue_samples', [7_600]),
        result('kpi0_green_value', [324]),
        result('kpi0_green_samples', [400]),
      ],
    });

    // Act
    const measured = await source().sampleKpis('eu-west-1', [CHECKOUTS], VERSIONS, TWO_MINUTES);

    // Assess
    expect(measured).toEqual([
      {
        name: 'checkout-success',
        blue: { value: 7_372, samples: 7_600 },
        green: { value: 324, samples: 400 },
      },
    ]);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(FROM));
    expect(input.EndTime).toEqual(new Date(FROM + 2 * 60_000));
    expect(input.MetricDataQueries).toHaveLength(4);
    expect(input.MetricDataQueries).toContainEqual({
      Id: 'kpi0_green_value',
      Label: 'checkout-success green',
      MetricStat: {
        Metric: {
          Namespace: 'Orders',
          MetricName: 'CheckoutSucceeded',
          Dimensions: [
            { Name: 'Service', Value: 'orders-api' },
            { Name: 'Version', Value: '1.5.0' },
          ],
        },
        Period: 120,
        Stat: 'Sum',
      },
      ReturnData: true,
    });
    expect(input.MetricDataQueries).toContainEqual(
      expect.objectContaining({
        Id: 'kpi0_blue_samples',
        MetricStat: expect.objectContaining({
          Stat: 'SampleCount',
          Metric: expect.objectContaining({
            Dimensions: [
              { Name: 'Service', Value: 'orders-api' },
              { Name: 'Version', Value: '1.4.0' },
            ],
          }),
        }),
      }),
    );
  });

  it('when CloudWatch has no datapoint for a side, that side has no sample (the judgement decides what that means)', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('kpi0_blue_value', [0.99]),
        result('kpi0_blue_samples', [4_000]),
        result('kpi0_green_value', []),
        result('kpi0_green_samples', []),
      ],
    });

    // Act
    const measured = await source().sampleKpis('eu-west-1', [PAYMENTS], VERSIONS, TWO_MINUTES);

    // Assess
    expect(measured).toEqual([{ name: 'payment-success', blue: { value: 0.99, samples: 4_000 } }]);
  });

  it('when CloudWatch splits an Average over two datapoints, it weighs them by their sample counts', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('kpi0_blue_value', [1, 0.5]),
        result('kpi0_blue_samples', [300, 100]),
        result('kpi0_green_value', [0.9]),
        result('kpi0_green_samples', [50]),
      ],
    });

    // Act
    const [measured] = await source().sampleKpis('eu-west-1', [PAYMENTS], VERSIONS, TWO_MINUTES);

    // Assess
    expect(measured!.blue).toEqual({ value: 0.875, samples: 400 });
  });

  it('when a KPI query comes back Forbidden, it refuses to judge on the rest', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result('kpi0_blue_value', [7_372]),
        result('kpi0_green_value', [], {
          StatusCode: 'Forbidden',
          Messages: [{ Code: 'Forbidden', Value: 'denied' }],
        }),
      ],
    });

    // Act + Assess
    await expect(source().sampleKpis('eu-west-1', [CHECKOUTS], VERSIONS, TWO_MINUTES)).rejects.toThrow(
      new TrafficMetricsUnavailable(
        'CloudWatch in eu-west-1 answered Forbidden for kpi0_green_value (Forbidden denied): the step cannot be judged without it',
      ),
    );
  });

  it('when CloudWatch throttles, it is a transient error naming the KPIs (the hook calls again)', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).rejects(unmodelledSdkError(CloudWatchServiceException, 'Throttling'));

    // Act + Assess
    await expect(
      source().sampleKpis('eu-west-1', [CHECKOUTS, PAYMENTS], VERSIONS, TWO_MINUTES),
    ).rejects.toThrow(AwsTransientError);
    await expect(
      source().sampleKpis('eu-west-1', [CHECKOUTS, PAYMENTS], VERSIONS, TWO_MINUTES),
    ).rejects.toThrow(/GetMetricData of the KPIs checkout-success, payment-success in eu-west-1/);
  });

  it('when no KPI is configured, it asks CloudWatch nothing', async () => {
    expect(await source().sampleKpis('eu-west-1', [], VERSIONS, TWO_MINUTES)).toEqual([]);
    expect(cloudwatch).not.toHaveReceivedCommand(GetMetricDataCommand);
  });
});
