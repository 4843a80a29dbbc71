import {
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  type DeploymentConfiguration,
  type DeploymentLifecycleHook,
  type LoadBalancer,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { PipelineMisconfiguredError } from '../domain/errors';
import { hookTimeoutMinutes } from '../domain/traffic-shift';
import { SHIFT_HOOK_STAGE, TEST_CHECK_HOOK_STAGE } from '../domain/traffic-shift-hook';
import type { StageTraffic } from '../domain/traffic-shift-stage';
import type { EcsTarget, ShiftRequest } from '../ports/deployment';
import type { ServiceDeploymentControl, ShiftHookDetails, TrafficShiftHook } from '../ports/traffic-shift';
import { mapAwsError } from './aws-errors';
import { clientsFrom, type ClientSource } from './regional-clients';

/**
 * ECS's own blue/green deployments, driven by the pipeline's traffic shift hook (not CodeDeploy).
 *
 * Every strategy that shifts traffic deploys with ECS's `BLUE_GREEN` strategy plus one `AWS_LAMBDA`
 * lifecycle hook at `PRE_PRODUCTION_TRAFFIC_SHIFT`: ECS starts green in the alternate target group, then
 * hands the production shift to the hook, which moves the listener rule's weights itself step by step
 * (any schedule, such as 5 → 25 → 50), judges each window and keeps its progress in `hookDetails`. When the
 * hook succeeds, ECS sends green everything and keeps blue `bakeTimeInMinutes` for an instant switch back.
 * ECS's `CANARY` (one step, then all) and `LINEAR` (equal steps) move the weights themselves between hook
 * calls, so they cannot follow an arbitrary schedule; a blue-green stage is the same hook with no judged step.
 */

// The hook's lifecycle stages are part of its contract with ECS (traffic-shift-hook.ts).
export { SHIFT_HOOK_STAGE, TEST_CHECK_HOOK_STAGE } from '../domain/traffic-shift-hook';

/**
 * The deployment configuration of a stage that shifts traffic: the service's own settings (percentages,
 * alarms) kept, the strategy, bake time and the pipeline's hook set. Hooks the team configured at other
 * stages are kept; one at the hook's stage that is not the pipeline's would fight over the weights, so it
 * is refused.
 */
export function shiftDeploymentConfiguration(
  current: DeploymentConfiguration | undefined,
  traffic: StageTraffic,
  hook: TrafficShiftHook,
  hookDetails: ShiftHookDetails,
  describeTarget: string,
): DeploymentConfiguration {
  const theirs = (current?.lifecycleHooks ?? []).filter((h) => h.hookTargetArn !== hook.functionArn);
  const clash = theirs.find((h) => h.lifecycleStages?.includes(SHIFT_HOOK_STAGE));
  if (clash)
    throw new PipelineMisconfiguredError(
      `ECS service ${describeTarget} has a lifecycle hook (${clash.hookTargetArn ?? clash.targetType ?? 'unknown'}) at ` +
        `${SHIFT_HOOK_STAGE}, where the pipeline shifts traffic for strategy "${traffic.strategy}": remove it or move it to another stage`,
    );
  const ours: DeploymentLifecycleHook = {
    targetType: 'AWS_LAMBDA',
    hookTargetArn: hook.functionArn,
    roleArn: hook.invokeRoleArn,
    lifecycleStages: hookDetails.testChecks ? [TEST_CHECK_HOOK_STAGE, SHIFT_HOOK_STAGE] : [SHIFT_HOOK_STAGE],
    hookDetails,
    timeoutConfiguration: {
      timeoutInMinutes: hookTimeoutMinutes(traffic),
      action: 'ROLLBACK',
    },
  };
  // The circuit breaker and early success criteria belong to rolling updates; the rest is the team's.
  const { deploymentCircuitBreaker: _breaker, earlySuccessCriteria: _early, ...kept } = current ?? {};
  const {
    linearConfiguration: _linear,
    canaryConfiguration: _canary,
    ...rest
  } = kept as DeploymentConfiguration;
  return {
    ...rest,
    strategy: 'BLUE_GREEN',
    bakeTimeInMinutes: traffic.keepBlueMinutes,
    lifecycleHooks: [...theirs, ours],
  };
}

/**
 * The service's load balancers with blue/green's advanced configuration on the entry of the configured
 * pair. ECS alternates the two target groups from one deployment to the next, so which of them is blue
 * now is read from the service: the one its entry names. Returns which is blue and which green.
 */
export function shiftLoadBalancers(
  current: LoadBalancer[] | undefined,
  traffic: StageTraffic,
  describeTarget: string,
): { loadBalancers: LoadBalancer[]; blueTargetGroupArn: string; greenTargetGroupArn: string } {
  const pair = [traffic.loadBalancer.blueTargetGroupArn, traffic.loadBalancer.greenTargetGroupArn];
  const entries = current ?? [];
  const index = entries.findIndex(
    (lb) => lb.targetGroupArn !== undefined && pair.includes(lb.targetGroupArn),
  );
  if (index < 0)
    throw new PipelineMisconfiguredError(
      `ECS service ${describeTarget} is not registered with either target group of its load balancer wiring ` +
        `(${pair.join(', ')}); fix blueTargetGroupArn/greenTargetGroupArn in pipeline.config.yml or attach the service to one of them`,
    );
  const blue = entries[index]!.targetGroupArn!;
  const green = blue === pair[0] ? pair[1]! : pair[0]!;
  const loadBalancers = entries.map((lb, i) =>
    i !== index
      ? lb
      : {
          ...lb,
          advancedConfiguration: {
            alternateTargetGroupArn: green,
            productionListenerRule: traffic.loadBalancer.productionListenerRuleArn,
            ...(traffic.loadBalancer.testListenerRuleArn !== undefined && {
              testListenerRule: traffic.loadBalancer.testListenerRuleArn,
            }),
            roleArn: traffic.loadBalancer.infrastructureRoleArn,
          },
        },
  );
  return { loadBalancers, blueTargetGroupArn: blue, greenTargetGroupArn: green };
}

export interface EcsServiceDeploymentsOptions {
  clients?: ClientSource<ECSClient>;
}

/** ECS's service deployments (ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment). */
export class EcsServiceDeployments implements ServiceDeploymentControl {
  private readonly client: (region: string) => ECSClient;

  constructor(options: EcsServiceDeploymentsOptions = {}) {
    this.client = clientsFrom(options.clients, ECSClient);
  }

  /**
   * Switches traffic back to blue while blue still runs: stops the service's deployment in progress (in
   * its bake time, or still shifting) with ROLLBACK. Undefined when no deployment is in progress: blue is
   * gone, and a rollback needs a deployment of the previous revision instead.
   */
  async rollBackInProgress(target: EcsTarget): Promise<{ serviceDeploymentArn: string } | undefined> {
    const client = this.client(target.region);
    const where = `${target.service} in cluster ${target.cluster} (${target.region})`;
    let arns: string[];
    try {
      const listed = await client.send(
        new ListServiceDeploymentsCommand({
          cluster: target.cluster,
          service: target.service,
          status: ['PENDING', 'IN_PROGRESS'],
        }),
      );
      arns = (listed.serviceDeployments ?? []).flatMap((d) => d.serviceDeploymentArn ?? []);
    } catch (error) {
      throw mapAwsError(error, `ECS ListServiceDeployments of ${where}`);
    }
    if (arns.length === 0) return undefined;
    let deployments: ServiceDeployment[];
    try {
      const described = await client.send(
        new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: arns }),
      );
      deployments = described.serviceDeployments ?? [];
    } catch (error) {
      throw mapAwsError(error, `ECS DescribeServiceDeployments of ${where}`);
    }
    // Only a blue/green deployment keeps blue running to switch back to.
    const shifting = deployments.find(
      (d) =>
        d.deploymentConfiguration?.strategy !== undefined && d.deploymentConfiguration.strategy !== 'ROLLING',
    );
    if (!shifting?.serviceDeploymentArn) return undefined;
    try {
      await client.send(
        new StopServiceDeploymentCommand({
          serviceDeploymentArn: shifting.serviceDeploymentArn,
          stopType: 'ROLLBACK',
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `ECS StopServiceDeployment (ROLLBACK) of ${where}`);
    }
    return { serviceDeploymentArn: shifting.serviceDeploymentArn };
  }
}

/** UpdateService's deploymentConfiguration and loadBalancers for a stage that shifts traffic. */
export function shiftUpdate(
  current: { deploymentConfiguration?: DeploymentConfiguration; loadBalancers?: LoadBalancer[] },
  request: ShiftRequest,
  describeTarget: string,
): { deploymentConfiguration: DeploymentConfiguration; loadBalancers: LoadBalancer[] } {
  const { traffic } = request;
  const { loadBalancers, blueTargetGroupArn, greenTargetGroupArn } = shiftLoadBalancers(
    current.loadBalancers,
    traffic,
    describeTarget,
  );
  const hookDetails: ShiftHookDetails = {
    ...request.stage,
    targets: {
      region: request.stage.region,
      loadBalancer: traffic.loadBalancer.loadBalancerArn,
      listenerRule: traffic.loadBalancer.productionListenerRuleArn,
      blueTargetGroup: blueTargetGroupArn,
      greenTargetGroup: greenTargetGroupArn,
    },
    plan: {
      strategy: traffic.strategy,
      steps: traffic.steps,
      keepBlueMinutes: traffic.keepBlueMinutes,
      thresholds: traffic.thresholds,
      maxExtensions: traffic.maxExtensions,
    },
    ...testChecksOf(traffic, describeTarget),
  };
  return {
    deploymentConfiguration: shiftDeploymentConfiguration(
      current.deploymentConfiguration,
      traffic,
      request.hook,
      hookDetails,
      describeTarget,
    ),
    loadBalancers,
  };
}

/** The test checks the hook runs at POST_TEST_TRAFFIC_SHIFT, against the test listener's endpoint. */
function testChecksOf(traffic: StageTraffic, describeTarget: string): Pick<ShiftHookDetails, 'testChecks'> {
  const checks = traffic.testChecks ?? [];
  if (checks.length === 0) return {};
  const endpoint = traffic.loadBalancer.testEndpoint;
  if (!endpoint || !traffic.loadBalancer.testListenerRuleArn)
    throw new PipelineMisconfiguredError(
      `blueGreen.testChecks of ${describeTarget} reach green through the test listener: ` +
        'add testListenerRuleArn and testEndpoint to its loadBalancer in pipeline.config.yml',
    );
  return { testChecks: { endpoint, checks } };
}
