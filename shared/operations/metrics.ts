import type { PipelineConfig } from '../config/config.schema';
import { deliveryMetrics, type DeliveryMetrics, type MetricsWindow } from '../domain/delivery-metrics';
import type { DeploymentRecordStore } from '../ports/deployment';

/**
 * The delivery metrics of the chosen services and environments over `window` (docs/metrics.md): every
 * record of each service is read once (one Query per service), then computed in memory. Pairs come in the
 * configuration's order: services as listed, environments in promotion order.
 */
export async function readDeliveryMetrics(
  config: Pick<PipelineConfig, 'services' | 'environments'>,
  filter: { service?: string; environment?: string; window: MetricsWindow },
  deps: { records: DeploymentRecordStore },
): Promise<DeliveryMetrics[]> {
  const services = config.services
    .map((s) => s.name)
    .filter((name) => filter.service === undefined || name === filter.service);
  const environments = config.environments
    .map((e) => e.name)
    .filter((name) => filter.environment === undefined || name === filter.environment);
  const records = (await Promise.all(services.map((service) => deps.records.history(service)))).flat();
  const scope = services.flatMap((service) => environments.map((environment) => ({ service, environment })));
  return deliveryMetrics(records, filter.window, scope);
}
