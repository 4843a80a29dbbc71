import * as z from 'zod';
import { KPI_STATISTICS } from '../domain/kpi-judgement';
import { lazySchema } from '../domain/lazy-schema';

/**
 * `judgement.kpis`: business KPIs green is judged on besides errors and latency (shared/domain/kpi-judgement.ts,
 * docs/deployment-strategies.md#business-kpis). Each names one CloudWatch metric the service emits with a
 * dimension (`revisionDimension`) whose value is the version it runs, so blue's and green's can be read
 * apart over the same window.
 */

/** CloudWatch allows 30 dimensions a metric; one of them is the revision dimension. */
const MAX_DIMENSIONS = 29;

const cloudWatchName = (what: string) =>
  z
    .string()
    .min(1, `${what} cannot be empty`)
    .max(255, `${what} is at most 255 characters (CloudWatch's limit)`);

export const kpiSetting = lazySchema(() =>
  z
    .object({
      /** What the stage's cause calls it, e.g. checkout-success. */
      name: z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9-]{0,39}$/,
          'name must be 1–40 lower-case letters, digits or dashes, such as checkout-success',
        ),
      namespace: cloudWatchName('namespace'),
      metricName: cloudWatchName('metricName'),
      statistic: z.enum(KPI_STATISTICS, {
        error: () =>
          'statistic must be "Sum" or "SampleCount" (a count of events, per request) or "Average" (a share of 0/1 samples)',
      }),
      /** `requests`: the count over each side's requests; `none`: the statistic itself. Default by statistic ({@link kpiPer}). */
      per: z.enum(['requests', 'none'], { error: () => 'per must be "requests" or "none"' }).optional(),
      /** Dimensions both sides share, e.g. { Service: orders-api }. */
      dimensions: z
        .record(cloudWatchName('a dimension name'), cloudWatchName('a dimension value'))
        .refine((d) => Object.keys(d).length <= MAX_DIMENSIONS, {
          message: `at most ${MAX_DIMENSIONS} dimensions besides the revision dimension (CloudWatch allows 30)`,
        })
        .default({}),
      /** The dimension the service puts its version in (PIPELINE_VERSION): tells blue's datapoints from green's. */
      revisionDimension: cloudWatchName('revisionDimension'),
      /** The drop to catch, a share of blue's value: 0.1 fails green 10% below blue (beyond the noise). */
      maxDrop: z
        .number()
        .gt(0, "maxDrop must be above 0: a share of blue's value, 0.1 is 10%")
        .lt(1, "maxDrop must be below 1: a share of blue's value, 0.1 is 10%")
        .default(0.1),
    })
    .strict()
    .superRefine((kpi, ctx) => {
      if (Object.hasOwn(kpi.dimensions, kpi.revisionDimension))
        ctx.addIssue({
          code: 'custom',
          path: ['dimensions', kpi.revisionDimension],
          message: `${kpi.revisionDimension} is the revision dimension: its value is each side's version, set by the pipeline; remove it from dimensions`,
        });
      if (kpi.statistic === 'Average' && kpi.per === 'requests')
        ctx.addIssue({
          code: 'custom',
          path: ['per'],
          message:
            'an Average is compared as it is (a share of 0/1 samples): use per: none, or statistic: Sum for a count per request',
        });
      if (kpi.statistic !== 'Average' && kpi.per === 'none')
        ctx.addIssue({
          code: 'custom',
          path: ['per'],
          message: `a ${kpi.statistic} grows with green's share of traffic, so it is compared per request: use per: requests, or statistic: Average for a share`,
        });
    }),
);

export const kpiSettings = lazySchema(() =>
  z
    .array(kpiSetting)
    .max(10, 'at most 10 KPIs: each is two more CloudWatch queries a window')
    .superRefine((kpis, ctx) => {
      const seen = new Set<string>();
      kpis.forEach((kpi, i) => {
        if (seen.has(kpi.name))
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `two KPIs are called ${kpi.name}: the cause of a failure names one, so give each its own name`,
          });
        seen.add(kpi.name);
      });
    }),
);
