import {
  CloudWatchClient,
  paginateGetMetricData,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { KpiMeasurement, KpiThreshold } from '../domain/kpi-judgement';
import type { TrafficSample } from '../domain/traffic-judgement';
import type { KpiMetricsSource, TrafficMetricsSource, TrafficTargets, TrafficWindow } from '../ports/traffic';
import { mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

export interface CloudWatchTrafficMetricsOptions {
  /** A ready client (tests) or a per-region factory; defaults to one `CloudWatchClient` per region, shared per container. */
  clients?: ClientSource<CloudWatchClient>;
}

/** CloudWatch's standard resolution: periods are whole minutes. */
const MINUTE_S = 60;

/** A load balancer's or target group's ARN is not one CloudWatch can name: the config points elsewhere. */
export class TrafficTargetsInvalid extends Error {
  override readonly name = 'TrafficTargetsInvalid';
}

/** CloudWatch answered, but not with the data: the window is not judged on half an answer. */
export class TrafficMetricsUnavailable extends Error {
  override readonly name = 'TrafficMetricsUnavailable';
}

/**
 * `app/<name>/<id>`: the LoadBalancer dimension of AWS/ApplicationELB, from the load balancer's ARN
 * (`arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`).
 */
export function loadBalancerDimension(arn: string): string {
  const match = /^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(arn);
  if (!match)
    throw new TrafficTargetsInvalid(
      `${JSON.stringify(arn)} is not an Application Load Balancer's ARN ` +
        '(arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>): fix loadBalancer in the traffic settings',
    );
  return match[1]!;
}

/**
 * `targetgroup/<name>/<id>`: the TargetGroup dimension of AWS/ApplicationELB, from the target group's ARN
 * (`arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`).
 */
export function targetGroupDimension(arn: string): string {
  const match = /^arn:[^:]+:elasticloadbalancing:[^:]*:[^:]*:(targetgroup\/[^/]+\/[^/]+)$/.exec(arn);
  if (!match)
    throw new TrafficTargetsInvalid(
      `${JSON.stringify(arn)} is not a target group's ARN ` +
        '(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>): fix the blue or green target group in the traffic settings',
    );
  return match[1]!;
}

type Side = 'blue' | 'green';
const MEASURES = {
  requests: { metric: 'RequestCount', stat: 'Sum' },
  errors: { metric: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  p95: { metric: 'TargetResponseTime', stat: 'p95' },
} as const;
type Measure = keyof typeof MEASURES;

function queryId(side: Side, measure: Measure): string {
  return `${side}_${measure}`;
}

/**
 * Blue's and green's traffic from the load balancer's per-target-group metrics (namespace
 * AWS/ApplicationELB, dimensions LoadBalancer and TargetGroup), in one GetMetricData call of six queries over
 * one period that covers the window, rounded up to whole minutes. RequestCount and HTTPCode_Target_5XX_Count
 * are summed; TargetResponseTime's p95 is in seconds and becomes ms. CloudWatch publishes nothing for a
 * minute without requests or without 5xx, so no datapoints mean 0 requests or 0 errors, but never a latency:
 * with none, `p95Ms` stays absent and the judgement calls the step inconclusive. A query CloudWatch did not
 * answer completely (Forbidden, InternalError) fails the read instead of counting as quiet.
 *
 * Not seen per target group: 5xx the load balancer itself answers (HTTPCode_ELB_5XX_Count has no TargetGroup
 * dimension), for example a 502 when green's tasks close connections; green's own 5xx and its latency are.
 */
export class CloudWatchTrafficMetrics implements TrafficMetricsSource, KpiMetricsSource {
  private readonly client: (region: string) => CloudWatchClient;

  constructor(options: CloudWatchTrafficMetricsOptions = {}) {
    this.client = clientsFrom(options.clients, CloudWatchClient);
  }

  async sample(
    targets: TrafficTargets,
    window: TrafficWindow,
  ): Promise<{ blue: TrafficSample; green: TrafficSample }> {
    if (!(window.to > window.from))
      throw new RangeError(`traffic window ends (${window.to}) before it starts (${window.from})`);
    const loadBalancer = loadBalancerDimension(targets.loadBalancer);
    const groups: Record<Side, string> = {
      blue: targetGroupDimension(targets.blueTargetGroup),
      green: targetGroupDimension(targets.greenTargetGroup),
    };
    const periodS = Math.max(MINUTE_S, Math.ceil((window.to - window.from) / 1000 / MINUTE_S) * MINUTE_S);
    const queries: MetricDataQuery[] = (['blue', 'green'] as const).flatMap((side) =>
      (Object.keys(MEASURES) as Measure[]).map((measure) => ({
        Id: queryId(side, measure),
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: MEASURES[measure].metric,
            Dimensions: [
              { Name: 'LoadBalancer', Value: loadBalancer },
              { Name: 'TargetGroup', Value: groups[side] },
            ],
          },
          Period: periodS,
          Stat: MEASURES[measure].stat,
        },
        ReturnData: true,
      })),
    );

    const values = new Map<string, number[]>();
    try {
      const pages = paginateGetMetricData(
        { client: this.client(targets.region) },
        {
          MetricDataQueries: queries,
          StartTime: new Date(window.from),
          EndTime: new Date(window.from + periodS * 1000),
        },
      );
      for await (const page of pages)
        for (const result of page.MetricDataResults ?? []) collect(values, result, targets.region);
    } catch (error) {
      if (error instanceof TrafficMetricsUnavailable) throw error;
      throw mapAwsError(error, `GetMetricData for ${targets.loadBalancer} in ${targets.region}`);
    }

    const side = (which: Side): TrafficSample => {
      const sum = (measure: Measure) =>
        (values.get(queryId(which, measure)) ?? []).reduce((total, value) => total + value, 0);
      const p95s = values.get(queryId(which, 'p95')) ?? [];
      return {
        requests: Math.round(sum('requests')),
        errors: Math.round(sum('errors')),
        // One period covers the window, so one datapoint; if CloudWatch splits it, the slower part speaks.
        ...(p95s.length > 0 && { p95Ms: Math.max(...p95s) * 1000 }),
      };
    };
    return { blue: side('blue'), green: side('green') };
  }

  /**
   * The service's own metrics for blue and green over the window, in one GetMetricData call: per KPI and
   * side, the KPI's statistic and its SampleCount over one period covering the window, the metric's
   * dimensions plus the revision dimension set to the side's version. No datapoints leave the side without
   * a sample (for a count per request that means 0 events; for an average, nothing to judge).
   */
  async sampleKpis(
    region: string,
    kpis: KpiThreshold[],
    versions: { blue: string; green: string },
    window: TrafficWindow,
  ): Promise<KpiMeasurement[]> {
    if (!(window.to > window.from))
      throw new RangeError(`traffic window ends (${window.to}) before it starts (${window.from})`);
    if (kpis.length === 0) return [];
    const periodS = Math.max(MINUTE_S, Math.ceil((window.to - window.from) / 1000 / MINUTE_S) * MINUTE_S);
    const query = (kpi: KpiThreshold, i: number, which: Side, stat: string, id: string): MetricDataQuery => ({
      Id: `kpi${i}_${which}_${id}`,
      Label: `${kpi.name} ${which}`,
      MetricStat: {
        Metric: {
          Namespace: kpi.namespace,
          MetricName: kpi.metricName,
          Dimensions: [
            ...Object.entries(kpi.dimensions).map(([Name, Value]) => ({ Name, Value })),
            { Name: kpi.revisionDimension, Value: versions[which] },
          ],
        },
        Period: periodS,
        Stat: stat,
      },
      ReturnData: true,
    });
    const queries = kpis.flatMap((kpi, i) =>
      (['blue', 'green'] as const).flatMap((which) => [
        query(kpi, i, which, kpi.statistic, 'value'),
        ...(kpi.statistic === 'SampleCount' ? [] : [query(kpi, i, which, 'SampleCount', 'samples')]),
      ]),
    );

    const values = new Map<string, number[]>();
    try {
      const pages = paginateGetMetricData(
        { client: this.client(region) },
        {
          MetricDataQueries: queries,
          StartTime: new Date(window.from),
          EndTime: new Date(window.from + periodS * 1000),
        },
      );
      for await (const page of pages)
        for (const result of page.MetricDataResults ?? []) collect(values, result, region);
    } catch (error) {
      if (error instanceof TrafficMetricsUnavailable) throw error;
      throw mapAwsError(
        error,
        `GetMetricData of the KPIs ${kpis.map((k) => k.name).join(', ')} in ${region}`,
      );
    }

    return kpis.map((kpi, i) => {
      const side = (which: Side) => {
        const got = values.get(`kpi${i}_${which}_value`) ?? [];
        if (got.length === 0) return undefined;
        const samples = (values.get(`kpi${i}_${which}_samples`) ?? got).reduce((t, v) => t + v, 0);
        // One period covers the window, so one datapoint; if CloudWatch splits it, weigh the parts.
        const value =
          kpi.statistic === 'Average'
            ? averageOf(got, values.get(`kpi${i}_${which}_samples`) ?? [])
            : got.reduce((t, v) => t + v, 0);
        return { value, samples };
      };
      const blue = side('blue');
      const green = side('green');
      return { name: kpi.name, ...(blue && { blue }), ...(green && { green }) };
    });
  }
}

/** The mean of averages weighed by their sample counts (a plain mean when the counts do not line up). */
function averageOf(averages: number[], counts: number[]): number {
  if (counts.length !== averages.length || counts.every((c) => c === 0))
    return averages.reduce((t, v) => t + v, 0) / averages.length;
  const total = counts.reduce((t, c) => t + c, 0);
  return averages.reduce((t, v, i) => t + v * counts[i]!, 0) / total;
}

function collect(values: Map<string, number[]>, result: MetricDataResult, region: string): void {
  if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
    const message = result.Messages?.map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ');
    throw new TrafficMetricsUnavailable(
      `CloudWatch in ${region} answered ${result.StatusCode} for ${result.Id ?? 'a query'}` +
        `${message ? ` (${message})` : ''}: the step cannot be judged without it`,
    );
  }
  const id = result.Id;
  if (id === undefined) return;
  const numbers = (result.Values ?? []).filter(
    (v): v is number => typeof v === 'number' && Number.isFinite(v),
  );
  values.set(id, [...(values.get(id) ?? []), ...numbers]);
}
