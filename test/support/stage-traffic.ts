/**
 * The traffic part of a stage that shifts traffic, as a test of the use cases or the local ECS builds it by
 * hand: orders-api behind one load balancer in eu-west-1, the pipeline's hook, and a canary whose schedule,
 * thresholds and blue time each test sets to what it is about.
 */
import type { StageTraffic } from '../../shared/domain/traffic-shift-stage';

/** The pipeline's hook (shiftTraffic) and the role ECS assumes to invoke it. */
export const SHIFT_HOOK = {
  functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shiftTraffic',
  invokeRoleArn: 'arn:aws:iam::123456789012:role/ecs-invokes-hook',
};

/** orders-api's load balancer in eu-west-1: its blue and green target groups and production listener rule. */
export const ORDERS_LOAD_BALANCER: StageTraffic['loadBalancer'] = {
  loadBalancerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders/50dc6c495c0c9188',
  blueTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/73e2d6bc24d8a067',
  greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/2453ed029918f21f',
  productionListenerRuleArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
  infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
};

/** A canary behind ORDERS_LOAD_BALANCER: error rate up to 5%, p95 up to twice blue's; the rest as given. */
export function canaryTraffic(
  settings: Pick<StageTraffic, 'steps' | 'keepBlueMinutes' | 'maxExtensions'> & { minRequests: number },
): StageTraffic {
  const { minRequests, ...rest } = settings;
  return {
    strategy: 'canary',
    ...rest,
    thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests },
    loadBalancer: ORDERS_LOAD_BALANCER,
  };
}
