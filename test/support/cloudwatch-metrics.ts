/**
 * CloudWatchTrafficMetrics on a mocked CloudWatch (aws-sdk-client-mock), for the adapter tests: the mock,
 * reset before each test, the adapter under test, and one GetMetricData result as CloudWatch returns it.
 */
import { CloudWatchClient, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchTrafficMetrics } from '../../shared/aws/traffic-metrics.adapter';

/** Call in a `describe`: its tests share the mock, reset before each. Results are stamped `from`. */
export function mockedCloudWatchMetrics(from: number) {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());
  const source = () =>
    new CloudWatchTrafficMetrics({ clients: new CloudWatchClient({ region: 'eu-west-1' }) });
  const result = (Id: string, Values: number[], extra: Partial<MetricDataResult> = {}): MetricDataResult => ({
    Id,
    Values,
    Timestamps: Values.map(() => new Date(from)),
    StatusCode: 'Complete',
    ...extra,
  });
  return { cloudwatch, source, result };
}
