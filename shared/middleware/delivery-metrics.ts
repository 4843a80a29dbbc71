import { leadTimeStartOf, STAGE_PARTS, stagePartsOf, type StagePart } from '../domain/delivery-metrics';
import type { DeploymentRecord } from '../domain/deployment-record';
import type { DeploymentRecordStore } from '../ports/deployment';
import { metrics } from './lambda-step';

/**
 * The CloudWatch metrics of deliveries, for alarms and the template's dashboard (docs/metrics.md): each
 * deployment record a step writes is also emitted, with the dimensions `service` and `environment`, as
 * one embedded-metric-format blob of its own (Powertools' single metric), so these dimensions never mix
 * with the step's own `<step>.succeeded` counts.
 *
 *   Deployments, FailedDeployments, Rollbacks, OperatorRollbacks, Superseded, ApprovalsRejected (Count);
 *   LeadTime, StageDuration, QueuedTime, ApprovalWait, FrozenTime, DeployingTime, SmokeTime, BakeTime
 *   (Milliseconds), the last seven from the record's stage timeline when it is whole.
 */
export const DELIVERY_METRIC_NAMES = [
  'Deployments',
  'FailedDeployments',
  'Rollbacks',
  'OperatorRollbacks',
  'Superseded',
  'ApprovalsRejected',
  'LeadTime',
  'StageDuration',
  'QueuedTime',
  'ApprovalWait',
  'FrozenTime',
  'DeployingTime',
  'SmokeTime',
  'BakeTime',
] as const;
export type DeliveryMetricName = (typeof DELIVERY_METRIC_NAMES)[number];

export interface DeliveryMetric {
  name: DeliveryMetricName;
  unit: 'Count' | 'Milliseconds';
  value: number;
}

/** What emits one record's metrics: Powertools' single metric in Lambda, something else in tests. */
export type DeliveryMetricsSink = (
  dimensions: { service: string; environment: string },
  values: DeliveryMetric[],
) => void;

/** Each stage part's metric (docs/metrics.md, "Emitted metrics"). */
const PART_METRICS: Record<StagePart, DeliveryMetricName> = {
  queued: 'QueuedTime',
  approval: 'ApprovalWait',
  frozen: 'FrozenTime',
  deploying: 'DeployingTime',
  smoke: 'SmokeTime',
  bake: 'BakeTime',
};

/** Parts a stage may not have had: emitted only when it had them, so their statistics are of real waits. */
const ONLY_WHEN_THERE: ReadonlySet<StagePart> = new Set(['approval', 'frozen']);

/**
 * The metrics one deployment record stands for (pure: what the tests check). The lead time starts where
 * `pipeline metrics` starts it ({@link leadTimeStartOf}) and the stage parts are {@link stagePartsOf}'s, so
 * the two never disagree on a stage; this sees one record, so a tag release without a commit time starts
 * at its tag (`pipeline metrics` finds its image push in the other records).
 */
export function deliveryMetricsOf(record: DeploymentRecord): DeliveryMetric[] {
  const count = (name: DeliveryMetricName): DeliveryMetric => ({ name, unit: 'Count', value: 1 });
  const ms = (name: DeliveryMetricName, value: number): DeliveryMetric => ({
    name,
    unit: 'Milliseconds',
    value,
  });
  if (record.kind === 'rollback') return record.outcome === 'deployed' ? [count('OperatorRollbacks')] : [];
  switch (record.outcome) {
    case 'deployed': {
      const out = [count('Deployments')];
      const start = leadTimeStartOf(record);
      if (start) out.push(ms('LeadTime', Math.max(0, record.at - start.at)));
      const parts = stagePartsOf(record);
      if (!parts) return out;
      out.push(ms('StageDuration', Math.max(0, record.at - record.timeline!.readyAt)));
      for (const part of STAGE_PARTS)
        if (!ONLY_WHEN_THERE.has(part) || parts[part] > 0) out.push(ms(PART_METRICS[part], parts[part]));
      return out;
    }
    case 'rolled back':
      return [count('FailedDeployments'), count('Rollbacks')];
    case 'rollback failed':
      return [count('FailedDeployments')];
    case 'failed':
      // A stage that failed before it deployed (a freeze outlasted) changed nothing: not a failed deployment.
      return record.startedAt === undefined ? [] : [count('FailedDeployments')];
    case 'superseded':
      return [count('Superseded')];
    case 'rejected':
      return [count('ApprovalsRejected')];
    default:
      return [];
  }
}

/**
 * Powertools Metrics' single metric: one EMF blob per value, flushed as it is added (a single metric
 * publishes, and forgets its dimensions, on each addMetric).
 */
export const powertoolsDeliveryMetrics: DeliveryMetricsSink = (dimensions, values) => {
  for (const value of values) {
    const single = metrics.singleMetric();
    single.addDimension('service', dimensions.service);
    single.addDimension('environment', dimensions.environment);
    single.addMetric(value.name, value.unit, value.value);
  }
};

/**
 * The records store the steps write through: every record written is also emitted, once: only the put
 * that created the record emits (a retried or redriven step that writes the same record again overwrites
 * it, and emits nothing), so CloudWatch counts each stage once, as the records do. Emitting never fails
 * the step (a metric is not worth a retry of the step that deployed).
 */
export function emittingDeliveryMetrics(
  store: DeploymentRecordStore,
  sink: DeliveryMetricsSink = powertoolsDeliveryMetrics,
): DeploymentRecordStore {
  return {
    put: async (record) => {
      const written = await store.put(record);
      const values = written.created ? deliveryMetricsOf(record) : [];
      if (values.length === 0) return written;
      try {
        sink({ service: record.service, environment: record.environment }, values);
      } catch {
        // Nothing to do: the record, which these numbers come from, is written.
      }
      return written;
    },
    history: (service) => store.history(service),
    recordedBetween: (service, span) => store.recordedBetween(service, span),
    running: (service) => store.running(service),
    runningIn: (service, target) => store.runningIn(service, target),
  };
}
