import * as z from 'zod';
import type { ServiceEnvironmentConfig } from '../config/config.schema';
import { DEFAULT_JUDGEMENT_SETTINGS } from '../config/traffic-shift.schema';
import { kpiThresholdSchema } from './kpi-threshold.schema';
import { lazySchema } from './lazy-schema';
import { LISTENER_RULE_ARN_PATTERN, loadBalancerOfRule } from './load-balancer-arn';
import { planTrafficShift } from './traffic-shift';
import { testCheckSchema } from './traffic-shift-hook';

/**
 * What a stage that shifts traffic carries in the execution input: the plan (steps, windows, thresholds)
 * and the region's load balancer wiring. Computed once when the execution starts, like the rest of the
 * stage, so a redrive follows the plan it started with even when the config changed meanwhile. Absent for
 * rolling stages.
 */
export const stageTrafficSchema = lazySchema(() =>
  z.object({
    strategy: z.enum(['blue-green', 'canary', 'linear']),
    steps: z.array(z.object({ percent: z.number().int().min(1).max(99), windowMs: z.number().int().min(0) })),
    keepBlueMinutes: z.number().int().min(0),
    thresholds: z.object({
      maxErrorRate: z.number().positive(),
      maxP95Ratio: z.number().positive(),
      minRequests: z.number().int().positive(),
      kpis: z.array(kpiThresholdSchema).optional(),
    }),
    maxExtensions: z.number().int().min(0),
    loadBalancer: z.object({
      /** Derived from the production listener rule: the load balancer whose metrics carry both groups. */
      loadBalancerArn: z.string().min(1),
      blueTargetGroupArn: z.string().min(1),
      greenTargetGroupArn: z.string().min(1),
      productionListenerRuleArn: z.string().regex(LISTENER_RULE_ARN_PATTERN),
      testListenerRuleArn: z.string().regex(LISTENER_RULE_ARN_PATTERN).optional(),
      testEndpoint: z.string().optional(),
      infrastructureRoleArn: z.string().min(1),
    }),
    /** Blue-green's checks of green through the test listener (`testEndpoint`) before production traffic. */
    testChecks: z.array(testCheckSchema).optional(),
  }),
);
export type StageTraffic = z.infer<typeof stageTrafficSchema>;

/** The traffic part of a stage for one region of a service environment; undefined when it rolls. */
export function planStageTraffic(
  settings: ServiceEnvironmentConfig,
  region: string,
): { traffic: StageTraffic } | Record<string, never> {
  const plan = planTrafficShift(settings, DEFAULT_JUDGEMENT_SETTINGS);
  const wiring = settings.regions[region]?.loadBalancer;
  if (!plan) return {};
  // The config refuses a shifting strategy without wiring in every region; this is the same rule, kept here
  // so a hand-built config cannot plan a canary that has nothing to shift.
  if (!wiring) throw new Error(`strategy "${plan.strategy}" needs the load balancer wiring of ${region}`);
  const testChecks = settings.strategy === 'blue-green' ? (settings.blueGreen?.testChecks ?? []) : [];
  return {
    traffic: {
      ...plan,
      loadBalancer: { loadBalancerArn: loadBalancerOfRule(wiring.productionListenerRuleArn), ...wiring },
      // The config's checks have no method: a test check is a GET.
      ...(testChecks.length > 0 && { testChecks: testChecks.map((c) => ({ method: 'GET' as const, ...c })) }),
    },
  };
}
