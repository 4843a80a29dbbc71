import * as z from 'zod';
import { kpiThresholdSchema } from './kpi-threshold.schema';
import { lazySchema } from './lazy-schema';

/**
 * The payload ECS sends a lifecycle hook Lambda and the answer it takes (ECS developer guide, "Lambda hooks
 * for Amazon ECS service deployments"): `hookStatus` SUCCEEDED continues, FAILED rolls back, IN_PROGRESS
 * calls again after `callBackDelay` seconds (30 by default) with the `hookDetails` returned. A hook's
 * runtime `hookDetails` persist between calls of that hook in one deployment only.
 */

/** The lifecycle stage the hook runs at: before ECS shifts production traffic (every strategy has it). */
export const SHIFT_HOOK_STAGE = 'PRE_PRODUCTION_TRAFFIC_SHIFT';

/**
 * Where blue-green's test checks run: green has 100% of the test listener's traffic and blue still 100% of
 * production's. The hook is registered here too when the stage has test checks; FAILED rolls back before any
 * production request reaches green.
 */
export const TEST_CHECK_HOOK_STAGE = 'POST_TEST_TRAFFIC_SHIFT';

const sampleSchema = z.object({
  requests: z.number().min(0),
  errors: z.number().min(0),
  p95Ms: z.number().min(0).optional(),
});

export const shiftProgressSchema = lazySchema(() =>
  z.object({
    step: z.number().int().min(0),
    stepStartedAt: z.number(),
    extensions: z.number().int().min(0),
    status: z.enum(['shifting', 'shifted', 'failed']),
    cause: z.string().optional(),
    records: z.array(
      z.object({
        step: z.number().int().min(0),
        percent: z.number(),
        extension: z.number().int().min(0),
        from: z.number(),
        to: z.number(),
        outcome: z.enum(['pass', 'fail', 'inconclusive']),
        reason: z.string(),
        blue: sampleSchema,
        green: sampleSchema,
      }),
    ),
  }),
);

/**
 * One of blue-green's test checks (`blueGreen.testChecks` of the config): an HTTP request to green through
 * the test listener, judged as a smoke check is (status, latency bound, body).
 */
export const testCheckSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1),
    path: z.string().startsWith('/'),
    method: z.enum(['GET', 'HEAD']),
    expectStatus: z.number().int(),
    bodyContains: z.string().optional(),
    maxLatencyMs: z.number().positive(),
    timeoutMs: z.number().positive(),
  }),
);
export type TestCheck = z.infer<typeof testCheckSchema>;

/** What the pipeline puts in the hook's `hookDetails` at UpdateService, plus the progress the hook adds. */
export const trafficShiftHookDetailsSchema = lazySchema(() =>
  z.object({
    executionName: z.string().min(1),
    service: z.string().min(1),
    environment: z.string().min(1),
    region: z.string().min(1),
    /** The version each side runs (PIPELINE_VERSION): the KPIs' revision dimension selects each side by it. */
    versions: z.object({ blue: z.string().optional(), green: z.string().min(1) }).optional(),
    targets: z.object({
      region: z.string().min(1),
      loadBalancer: z.string().min(1),
      listenerRule: z.string().min(1),
      blueTargetGroup: z.string().min(1),
      greenTargetGroup: z.string().min(1),
    }),
    plan: z.object({
      strategy: z.enum(['blue-green', 'canary', 'linear']),
      steps: z.array(z.object({ percent: z.number().int().min(1).max(99), windowMs: z.number().min(0) })),
      keepBlueMinutes: z.number().min(0),
      thresholds: z.object({
        maxErrorRate: z.number().positive(),
        maxP95Ratio: z.number().positive(),
        minRequests: z.number().int().positive(),
        kpis: z.array(kpiThresholdSchema).optional(),
      }),
      maxExtensions: z.number().int().min(0),
    }),
    progress: shiftProgressSchema.optional(),
    /**
     * Blue-green's test checks, run at POST_TEST_TRAFFIC_SHIFT against `endpoint` (the test listener, where
     * green has all of the test traffic and none of production's). Absent: the hook is not registered there.
     */
    testChecks: z.object({ endpoint: z.string().min(1), checks: z.array(testCheckSchema).min(1) }).optional(),
    /** The test checks' attempts so far that got no answer (a network error): bounded retries. */
    testAttempts: z.object({ failed: z.number().int().min(1), lastProblem: z.string() }).optional(),
  }),
);
export type TrafficShiftHookDetails = z.infer<typeof trafficShiftHookDetailsSchema>;

export const lifecycleHookEventSchema = lazySchema(() =>
  z.object({
    executionId: z.string().min(1),
    lifecycleStage: z.string().min(1),
    resourceArn: z.string().min(1),
    executionDetails: z
      .object({
        serviceArn: z.string().optional(),
        targetServiceRevisionArn: z.string().optional(),
        productionTrafficWeights: z.record(z.string(), z.number()).optional(),
        testTrafficWeights: z.record(z.string(), z.number()).optional(),
      })
      .loose(),
    hookDetails: z.unknown().optional(),
  }),
);
export type LifecycleHookEvent = z.infer<typeof lifecycleHookEventSchema>;

export interface LifecycleHookResponse {
  hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
  /** Seconds until ECS calls again (IN_PROGRESS only). */
  callBackDelay?: number;
  hookDetails?: TrafficShiftHookDetails;
}
