/**
 * The traffic shift hook as ECS calls it in the use-case tests (shared/use-cases/shift-traffic.ts): orders-api
 * behind one load balancer in prod eu-west-1, the hookDetails the ECS adapter sets for it, and the lifecycle
 * hook event that carries them.
 */
import type { LifecycleHookEvent, TrafficShiftHookDetails } from '../../shared/domain/traffic-shift-hook';
import type { TrafficTargets } from '../../shared/ports/traffic';

export const HOOK_REGION = 'eu-west-1';

/** orders-api's load balancer in prod eu-west-1: its production listener rule and blue and green groups. */
export const ORDERS_TARGETS: TrafficTargets = {
  region: HOOK_REGION,
  loadBalancer:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders/50dc6c495c0c9188',
  listenerRule:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
  blueTargetGroup:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-a/73e2d6bc24d8a067',
  greenTargetGroup:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-b/2453ed029918f21f',
};

/** hookDetails of the v1.4.0 release of orders-api to prod eu-west-1 on ORDERS_TARGETS, with the plan given. */
export function releaseHookDetails(
  plan: TrafficShiftHookDetails['plan'],
  more: Partial<TrafficShiftHookDetails> = {},
): TrafficShiftHookDetails {
  return {
    executionName: 'tag-orders-api-v1-4-0',
    service: 'orders-api',
    environment: 'prod',
    region: HOOK_REGION,
    targets: ORDERS_TARGETS,
    plan,
    ...more,
  };
}

/** The event ECS sends the hook at `lifecycleStage` of orders-api's deployment in prod, with `hookDetails`. */
export function hookEvent(
  hookDetails: unknown,
  lifecycleStage = 'PRE_PRODUCTION_TRAFFIC_SHIFT',
): LifecycleHookEvent {
  return {
    executionId: 'a635edb5-a66b-4f44-bf3f-fcee4b3641a5',
    lifecycleStage,
    resourceArn:
      'arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/orders-api/TFX5sH9q9XDboDTOv0rIt',
    executionDetails: {
      serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/orders-api',
      productionTrafficWeights: {},
      testTrafficWeights: {},
    },
    hookDetails,
  };
}
