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
 *   LeadTime, StageDuration, QueuedTime, ApprovalWait, FrozenTime, DeployingTime, BakeTime (Milliseconds),
 *   the last five from the record's stage timeline.
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

/** An approval shorter than this is no approval: the stage had none (the Choice state took milliseconds). */
const NO_APPROVAL_MS = 1000;

/** The metrics one deployment record stands for (pure: what the tests check). */
export function deliveryMetricsOf(record: DeploymentRecord): DeliveryMetric[] {
  const count = (name: DeliveryMetricName): DeliveryMetric => ({ name, unit: 'Count', value: 1 });
  const ms = (name: DeliveryMetricName, value: number): DeliveryMetric => ({
    name,
    unit: 'Milliseconds',
    value: Math.max(0, value),
  });
  if (record.kind === 'rollback') return record.outcome === 'deployed' ? [count('OperatorRollbacks')] : [];
  switch (record.outcome) {
    case 'deployed': {
      const out = [count('Deployments')];
      const triggered = record.triggeredAt ? Date.parse(record.triggeredAt) : NaN;
      const start = record.commitAt ? Date.parse(record.commitAt) : triggered;
      if (!Number.isNaN(start)) out.push(ms('LeadTime', record.at - start));
      const t = record.timeline;
      if (!t) return out;
      out.push(ms('StageDuration', record.at - t.readyAt));
      if (t.lockedAt !== undefined) out.push(ms('QueuedTime', t.lockedAt - t.readyAt));
      const gateFirst = t.gateClosedAt ?? t.gateOpenedAt;
      if (t.lockedAt !== undefined && gateFirst !== undefined && gateFirst - t.lockedAt >= NO_APPROVAL_MS)
        out.push(ms('ApprovalWait', gateFirst - t.lockedAt));
      if (t.gateClosedAt !== undefined && t.gateOpenedAt !== undefined)
        out.push(ms('FrozenTime', t.gateOpenedAt - t.gateClosedAt));
      if (t.gateOpenedAt !== undefined && t.deployedAt !== undefined)
        out.push(ms('DeployingTime', t.deployedAt - t.gateOpenedAt));
      if (t.bakeStartedAt !== undefined) out.push(ms('BakeTime', record.at - t.bakeStartedAt));
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
 * The records store the steps write through: every record written is also emitted. Emitting never fails
 * the step (a metric is not worth a retry of the step that deployed).
 */
export function emittingDeliveryMetrics(
  store: DeploymentRecordStore,
  sink: DeliveryMetricsSink = powertoolsDeliveryMetrics,
): DeploymentRecordStore {
  return {
    put: async (record) => {
      await store.put(record);
      const values = deliveryMetricsOf(record);
      if (values.length === 0) return;
      try {
        sink({ service: record.service, environment: record.environment }, values);
      } catch {
        // Nothing to do: the record, which these numbers come from, is written.
      }
    },
    history: (service) => store.history(service),
    running: (service) => store.running(service),
    runningIn: (service, target) => store.runningIn(service, target),
  };
}
