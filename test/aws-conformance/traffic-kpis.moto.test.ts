import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchTrafficMetrics } from '../../shared/aws/traffic-metrics.adapter';
import type { KpiThreshold } from '../../shared/domain/kpi-judgement';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The KPI read against moto's CloudWatch: a service's own metric published with its version in a
 * dimension, read back per side by GetMetricData with the statistic and SampleCount the judgement uses.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  moto = await startMotoServer();
  cloudwatch = new CloudWatchClient(moto.clientConfig(REGION));
});

afterAll(async () => {
  cloudwatch?.destroy();
  await moto?.stop();
});

describe('CloudWatchTrafficMetrics.sampleKpis against moto', () => {
  it('when each version published its checkouts, it reads each side by its revision dimension over the window', async () => {
    // Prepare: one datapoint per checkout attempt, 1 when it succeeded, for three minutes
    const from = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const put = (version: string, minute: number, values: number[]) =>
      cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'Orders',
          MetricData: [
            {
              MetricName: 'CheckoutSucceeded',
              Dimensions: [
                { Name: 'Service', Value: 'orders-api' },
                { Name: 'Version', Value: version },
              ],
              Timestamp: new Date(from + minute * 60_000 + 1_000),
              Values: [1, 0],
              Counts: [values[0]!, values[1]!],
              Unit: 'Count',
            },
          ],
        }),
      );
    for (let minute = 0; minute < 3; minute++) {
      await put('1.4.0', minute, [97, 3]);
      await put('1.5.0', minute, [8, 2]);
    }
    // Another service's metric of the same name and version, and a datapoint after the window: not counted.
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'Orders',
        MetricData: [
          {
            MetricName: 'CheckoutSucceeded',
            Dimensions: [
              { Name: 'Service', Value: 'payments-api' },
              { Name: 'Version', Value: '1.5.0' },
            ],
            Timestamp: new Date(from + 60_000),
            Value: 1,
          },
        ],
      }),
    );
    await put('1.5.0', 5, [50, 0]);
    const kpi: KpiThreshold = {
      name: 'checkout-success',
      namespace: 'Orders',
      metricName: 'CheckoutSucceeded',
      statistic: 'Sum',
      dimensions: { Service: 'orders-api' },
      revisionDimension: 'Version',
      maxDrop: 0.1,
    };
    const source = new CloudWatchTrafficMetrics({
      clients: moto.adapterClient('traffic-metrics.adapter', CloudWatchClient, REGION),
    });

    // Act
    const measured = await source.sampleKpis(
      REGION,
      [kpi, { ...kpi, name: 'checkout-share', statistic: 'Average' }],
      { blue: '1.4.0', green: '1.5.0' },
      { from, to: from + 3 * 60_000 },
    );

    // Assess
    expect(measured).toEqual([
      { name: 'checkout-success', blue: { value: 291, samples: 300 }, green: { value: 24, samples: 30 } },
      { name: 'checkout-share', blue: { value: 0.97, samples: 300 }, green: { value: 0.8, samples: 30 } },
    ]);
  });
});
