import type { PipelineConfig } from '../config/config.schema';
import {
  DAY_MS,
  deliveryMetrics,
  type DeliveryMetrics,
  type MetricsWindow,
} from '../domain/delivery-metrics';
import { targetKey, type DeploymentRecord } from '../domain/deployment-record';
import type { DeploymentRecordStore } from '../ports/deployment';

/**
 * How far before the window the records are read (docs/metrics.md, "Cost"): a deployment in the window may
 * have started (its image push, its earlier stages) or been repaired from a failure before it.
 */
export const METRICS_LOOKBACK_MS = 14 * DAY_MS;

/**
 * The delivery metrics of the chosen services and environments over `window` (docs/metrics.md): each
 * service's records from {@link METRICS_LOOKBACK_MS} before the window to its end are read through the
 * table's time index (one Query per service, more pages for more records), through `cache` when given,
 * then computed in memory. Pairs come in the configuration's order: services as listed, environments in
 * promotion order.
 */
export async function readDeliveryMetrics(
  config: Pick<PipelineConfig, 'services' | 'environments'>,
  filter: { service?: string; environment?: string; window: MetricsWindow },
  deps: { records: DeploymentRecordStore; cache?: DeliveryRecordsCache },
): Promise<DeliveryMetrics[]> {
  const services = config.services
    .map((s) => s.name)
    .filter((name) => filter.service === undefined || name === filter.service);
  const environments = config.environments
    .map((e) => e.name)
    .filter((name) => filter.environment === undefined || name === filter.environment);
  const span = { from: filter.window.from - METRICS_LOOKBACK_MS, to: filter.window.to };
  const read = (service: string) =>
    deps.cache ? deps.cache.read(deps.records, service, span) : deps.records.recordedBetween(service, span);
  const records = (await Promise.all(services.map(read))).flat();
  const scope = services.flatMap((service) => environments.map((environment) => ({ service, environment })));
  return deliveryMetrics(records, filter.window, scope);
}

/**
 * How long after its `at` a record may still be written (a step's retry, a slow write) and be found by the
 * cache's next read: each read after the first asks again for the records of this last stretch.
 */
export const SETTLE_MS = 60 * 60_000;

/**
 * The records each service had in the last span read, for a view that reads the metrics again and again
 * (the dashboard, every 10 s): the first read of a service reads its span; each later one reads only the
 * records since the previous read's end (less {@link SETTLE_MS}) and merges them by their identity (the
 * records adapter's key: environment, region, execution, outcome), so a rewritten record replaces its old
 * copy. A span that starts before the cached one, or ends before it, is read whole again.
 */
export class DeliveryRecordsCache {
  private readonly services = new Map<
    string,
    { from: number; to: number; records: Map<string, DeploymentRecord> }
  >();

  async read(
    store: DeploymentRecordStore,
    service: string,
    span: { from: number; to: number },
  ): Promise<DeploymentRecord[]> {
    let entry = this.services.get(service);
    if (!entry || span.from < entry.from || span.to < entry.to) {
      entry = { from: span.from, to: span.to, records: new Map() };
      for (const record of await store.recordedBetween(service, span))
        entry.records.set(identityOf(record), record);
      this.services.set(service, entry);
    } else {
      const since = Math.max(entry.from, entry.to - SETTLE_MS);
      for (const record of await store.recordedBetween(service, { from: since, to: span.to }))
        entry.records.set(identityOf(record), record);
      // Forget what slid out of the span, so the cache stays the size of one span.
      for (const [key, record] of entry.records) if (record.at < span.from) entry.records.delete(key);
      entry.from = span.from;
      entry.to = span.to;
    }
    return [...entry.records.values()].filter((r) => r.at >= span.from && r.at <= span.to);
  }
}

function identityOf(record: DeploymentRecord): string {
  return `${targetKey(record)}#${record.execution}#${record.outcome}`;
}
