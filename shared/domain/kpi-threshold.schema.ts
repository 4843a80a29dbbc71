import * as z from 'zod';
import { KPI_STATISTICS, type KpiThreshold } from './kpi-judgement';
import { lazySchema } from './lazy-schema';

/**
 * A KPI threshold as the execution input and the hook's `hookDetails` carry it: already validated by the
 * config (config/kpi.schema.ts), so only its shape is checked here.
 */
export const kpiThresholdSchema = lazySchema(
  () =>
    z.object({
      name: z.string().min(1),
      namespace: z.string().min(1),
      metricName: z.string().min(1),
      statistic: z.enum(KPI_STATISTICS),
      per: z.enum(['requests', 'none']).optional(),
      dimensions: z.record(z.string(), z.string()),
      revisionDimension: z.string().min(1),
      maxDrop: z.number().gt(0).lt(1),
    }) satisfies z.ZodType<KpiThreshold>,
);
