/**
 * The local CloudWatch of the services' own metrics (business KPIs), one per region: the services report
 * each metric in an `x-business-metric` answer header (examples/sample-service), the local load balancer
 * files it here per second of the stack's clock, and the KPI queries are answered as GetMetricData would:
 * a metric is its namespace, name and exact set of dimensions, and a statistic over a window is read from
 * every datapoint in it.
 */
import type { KpiMeasurement, KpiSideSample, KpiThreshold } from '../../shared/domain/kpi-judgement';
import type { TrafficWindow } from '../../shared/ports/traffic';

interface Datapoints {
  sum: number;
  count: number;
}

/** A metric's identity: namespace, name and its dimensions sorted by name (CloudWatch matches them exactly). */
function metricKey(namespace: string, metricName: string, dimensions: Record<string, string>): string {
  const dims = Object.entries(dimensions)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join(';');
  return `${namespace}/${metricName}|${dims}`;
}

/**
 * One `x-business-metric` header: `<Namespace>/<MetricName>=<value>;<Name>=<Value>…`, several separated by
 * commas. Undefined for an entry that does not read so (the local load balancer ignores it, as CloudWatch
 * would refuse it).
 */
export function parseBusinessMetrics(
  header: string | string[] | undefined,
): { namespace: string; metricName: string; value: number; dimensions: Record<string, string> }[] {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return [];
  return text.split(',').flatMap((entry) => {
    const [metric, ...dims] = entry.trim().split(';');
    const match = /^([^/=]+)\/([^=]+)=(-?[0-9.]+(?:e-?\d+)?)$/.exec(metric ?? '');
    const value = match ? Number(match[3]) : Number.NaN;
    if (!match || !Number.isFinite(value)) return [];
    const dimensions: Record<string, string> = {};
    for (const dim of dims) {
      const at = dim.indexOf('=');
      if (at <= 0) return [];
      dimensions[dim.slice(0, at)] = dim.slice(at + 1);
    }
    return [{ namespace: match[1]!, metricName: match[2]!, value, dimensions }];
  });
}

export class LocalBusinessMetrics {
  private readonly metrics = new Map<string, Map<number, Datapoints>>();

  /** Files the metrics of one answer header at `at` (epoch ms of the stack's clock). */
  recordHeader(header: string | string[] | undefined, at: number): void {
    for (const metric of parseBusinessMetrics(header))
      this.put(metric.namespace, metric.metricName, metric.dimensions, metric.value, at);
  }

  put(
    namespace: string,
    metricName: string,
    dimensions: Record<string, string>,
    value: number,
    at: number,
  ): void {
    const key = metricKey(namespace, metricName, dimensions);
    let seconds = this.metrics.get(key);
    if (!seconds) {
      seconds = new Map();
      this.metrics.set(key, seconds);
    }
    const second = Math.floor(at / 1000);
    const point = seconds.get(second) ?? { sum: 0, count: 0 };
    point.sum += value;
    point.count += 1;
    seconds.set(second, point);
  }

  /** A metric's sum and sample count over the window's whole seconds; undefined without any datapoint. */
  read(
    namespace: string,
    metricName: string,
    dimensions: Record<string, string>,
    window: TrafficWindow,
  ): Datapoints | undefined {
    const seconds = this.metrics.get(metricKey(namespace, metricName, dimensions));
    let found: Datapoints | undefined;
    for (const [second, point] of seconds ?? []) {
      const at = second * 1000;
      if (at < Math.floor(window.from / 1000) * 1000 || at >= window.to) continue;
      found ??= { sum: 0, count: 0 };
      found.sum += point.sum;
      found.count += point.count;
    }
    return found;
  }

  /** The KPIs of blue and green over the window, each side's revision dimension set to its version. */
  sampleKpis(
    kpis: KpiThreshold[],
    versions: { blue: string; green: string },
    window: TrafficWindow,
  ): KpiMeasurement[] {
    return kpis.map((kpi) => {
      const side = (version: string): KpiSideSample | undefined => {
        const point = this.read(
          kpi.namespace,
          kpi.metricName,
          { ...kpi.dimensions, [kpi.revisionDimension]: version },
          window,
        );
        if (!point) return undefined;
        const value =
          kpi.statistic === 'Sum'
            ? point.sum
            : kpi.statistic === 'SampleCount'
              ? point.count
              : point.sum / point.count;
        return { value, samples: point.count };
      };
      const blue = side(versions.blue);
      const green = side(versions.green);
      return { name: kpi.name, ...(blue && { blue }), ...(green && { green }) };
    });
  }
}
