/** A business KPI of orders-api as the judgement tests define it: checkouts per request, by version. */
import type { KpiThreshold } from '../../shared/domain/kpi-judgement';

/** Checkouts per request (a Sum over requests), selected per revision by Version; a 10% drop fails. */
export const CHECKOUTS: KpiThreshold = {
  name: 'checkout-success',
  namespace: 'Orders',
  metricName: 'CheckoutSucceeded',
  statistic: 'Sum',
  per: 'requests',
  dimensions: { Service: 'orders-api' },
  revisionDimension: 'Version',
  maxDrop: 0.1,
};
