import { ManualClock } from '../../shared/clock';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import type { LifecycleHookEvent } from '../../shared/domain/traffic-shift-hook';
import type { ShiftRequest } from '../../shared/ports/deployment';
import type { TrafficTargets } from '../../shared/ports/traffic';
import {
  LocalContainerPlatform,
  type LocalDeploymentEvent,
} from '../../local-runtime/adapters/local-container-platform';
import { canaryTraffic, ORDERS_LOAD_BALANCER, SHIFT_HOOK } from '../support/stage-traffic';

/**
 * The local ECS's blue/green deployments on their own: the lifecycle the pipeline's hook is driven by, the
 * weights ECS moves itself, StopServiceDeployment, and what UpdateService refuses. The hook here answers as
 * scripted; the flow tests (traffic-shift-flow.test.ts) run the real one on real traffic.
 */

const TARGET = { region: 'eu-west-1', cluster: 'prod', service: 'orders-api' };
const BLUE_TG = ORDERS_LOAD_BALANCER.blueTargetGroupArn;
const GREEN_TG = ORDERS_LOAD_BALANCER.greenTargetGroupArn;
const TRAFFIC = canaryTraffic({
  steps: [{ percent: 5, windowMs: 60_000 }],
  keepBlueMinutes: 10,
  minRequests: 100,
  maxExtensions: 1,
});
const SHIFT: ShiftRequest = {
  traffic: TRAFFIC,
  hook: SHIFT_HOOK,
  stage: { executionName: 'release-1', service: 'orders-api', environment: 'prod', region: 'eu-west-1' },
};

type Answer = { hookStatus: string; callBackDelay?: number; hookDetails?: unknown } | Error;

function stack(answers: Answer[]) {
  const clock = new ManualClock(0);
  const calls: { at: number; event: LifecycleHookEvent }[] = [];
  const weights: { at: number; green: number; blue: string }[] = [];
  const events: LocalDeploymentEvent[] = [];
  const traffic: number[] = [];
  const testWeights: { at: number; green: number }[] = [];
  const platform = new LocalContainerPlatform({
    clock,
    deploymentMs: 90_000,
    onDeploymentFinished: (event) => events.push(event),
    blueGreen: {
      invokeHook: async (_arn, event) => {
        calls.push({ at: clock.now(), event });
        const answer = answers.shift() ?? { hookStatus: 'SUCCEEDED' };
        if (answer instanceof Error) throw answer;
        return answer;
      },
      router: {
        setGreenWeight: async (targets: TrafficTargets, green: number) => {
          weights.push({ at: clock.now(), green, blue: targets.blueTargetGroup });
        },
        retarget: async () => undefined,
        shiftTestTraffic: async (_targets: TrafficTargets, green: number) => {
          testWeights.push({ at: clock.now(), green });
        },
      },
      whileWaiting: async (_targets, waitMs) => {
        traffic.push(waitMs);
      },
    },
  });
  const first = platform.seedService(TARGET, { name: 'app', image: 'orders-api:1' });
  platform.attachLoadBalancer(TARGET, BLUE_TG, 'app');
  return { clock, platform, first, calls, weights, events, traffic, testWeights };
}

async function settle(clock: ManualClock, ms: number): Promise<void> {
  for (let passed = 0; passed < ms; passed += 1_000) await clock.advance(1_000);
}

/** A blue-green stage with a test check, behind a load balancer with a test listener rule. */
const WITH_TEST_CHECKS: ShiftRequest = {
  ...SHIFT,
  traffic: {
    ...TRAFFIC,
    strategy: 'blue-green',
    steps: [],
    testChecks: [
      {
        name: 'health',
        path: '/health',
        method: 'GET',
        expectStatus: 200,
        maxLatencyMs: 2000,
        timeoutMs: 5000,
      },
    ],
    loadBalancer: {
      ...TRAFFIC.loadBalancer,
      testListenerRuleArn:
        'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/0c1d2e3f4a5b6c7d/8e9f0a1b2c3d4e5f',
      testEndpoint: 'https://orders-test.example.internal:8443',
    },
  },
};

describe('the local ECS blue/green deployment', () => {
  it('when the hook is registered at POST_TEST_TRAFFIC_SHIFT, it sends green the test traffic and calls it there first, then before the production shift with the configured hookDetails', async () => {
    // Prepare
    const { clock, platform, first, calls, weights, events, testWeights } = stack([
      { hookStatus: 'IN_PROGRESS', callBackDelay: 10, hookDetails: { testAttempts: 1 } },
      { hookStatus: 'SUCCEEDED', hookDetails: { testsPassed: true } },
      { hookStatus: 'SUCCEEDED' },
    ]);
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });

    // Act
    await platform.updateService(TARGET, green.arn, WITH_TEST_CHECKS);
    await settle(clock, 90_000 + 10_000 + 10 * 60_000 + 1_000);

    // Assess
    expect(calls.map((c) => [c.at, c.event.lifecycleStage])).toEqual([
      [90_000, 'POST_TEST_TRAFFIC_SHIFT'],
      [100_000, 'POST_TEST_TRAFFIC_SHIFT'],
      [100_000, 'PRE_PRODUCTION_TRAFFIC_SHIFT'],
    ]);
    expect(calls[1]!.event.hookDetails).toEqual({ testAttempts: 1 });
    expect(calls[2]!.event.hookDetails).toMatchObject({
      testChecks: { endpoint: 'https://orders-test.example.internal:8443' },
    });
    expect(testWeights).toEqual([{ at: 90_000, green: 100 }]);
    expect(weights).toEqual([{ at: 100_000, green: 100, blue: BLUE_TG }]);
    expect(events.map((e) => e.outcome)).toEqual(['COMPLETED']);
    platform.stop();
  });

  it('when the hook answers FAILED at POST_TEST_TRAFFIC_SHIFT, it rolls back before production traffic ever moved to green', async () => {
    // Prepare
    const { clock, platform, first, calls, weights, events, testWeights } = stack([{ hookStatus: 'FAILED' }]);
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });

    // Act
    await platform.updateService(TARGET, green.arn, WITH_TEST_CHECKS);
    await settle(clock, 120_000);

    // Assess
    expect(calls.map((c) => c.event.lifecycleStage)).toEqual(['POST_TEST_TRAFFIC_SHIFT']);
    expect(weights.every((w) => w.green === 0)).toBe(true);
    expect(testWeights.map((w) => w.green)).toEqual([100, 0]);
    expect(events).toEqual([
      expect.objectContaining({
        outcome: 'FAILED',
        reason: 'lifecycle hook at POST_TEST_TRAFFIC_SHIFT returned FAILED',
      }),
    ]);
    expect(platform.serving(TARGET)?.arn).toBe(first);
    expect(platform.servingIn(TARGET, GREEN_TG)).toBeUndefined();
    platform.stop();
  });

  it('when the hook answers IN_PROGRESS then SUCCEEDED, it calls it again after callBackDelay with its hookDetails, sends green everything and keeps blue for the bake time', async () => {
    // Prepare
    const { clock, platform, first, calls, weights, events, traffic } = stack([
      { hookStatus: 'IN_PROGRESS', callBackDelay: 60, hookDetails: { progress: 'step 0' } },
      { hookStatus: 'SUCCEEDED' },
    ]);
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });

    // Act
    const { deploymentId } = await platform.updateService(TARGET, green.arn, SHIFT);
    await settle(clock, 90_000 + 60_000 + 10 * 60_000 + 1_000);

    // Assess: the hook at 90 s (green up), again 60 s later with what it returned
    expect(calls.map((c) => [c.at, c.event.lifecycleStage])).toEqual([
      [90_000, 'PRE_PRODUCTION_TRAFFIC_SHIFT'],
      [150_000, 'PRE_PRODUCTION_TRAFFIC_SHIFT'],
    ]);
    expect(calls[0]!.event.hookDetails).toMatchObject({
      executionName: 'release-1',
      targets: { blueTargetGroup: BLUE_TG, greenTargetGroup: GREEN_TG },
    });
    expect(calls[1]!.event.hookDetails).toEqual({ progress: 'step 0' });
    expect(traffic).toEqual([60_000]);
    // ECS's own shift after the hook succeeded, then blue kept 10 minutes before the deployment completes
    expect(weights).toEqual([{ at: 150_000, green: 100, blue: BLUE_TG }]);
    expect(events).toEqual([
      expect.objectContaining({ deploymentId, outcome: 'COMPLETED', taskDefinitionArn: green.arn }),
    ]);
    expect(platform.serving(TARGET)?.arn).toBe(green.arn);
    expect(platform.servingIn(TARGET, GREEN_TG)?.arn).toBe(green.arn);
    expect(platform.servingIn(TARGET, BLUE_TG)).toBeUndefined();

    // And ECS alternates: the next deployment's blue is this one's green.
    await platform.updateService(TARGET, first, SHIFT);
    await settle(clock, 91_000);
    expect(calls[2]!.event.hookDetails).toMatchObject({
      targets: { blueTargetGroup: GREEN_TG, greenTargetGroup: BLUE_TG },
    });
    platform.stop();
  });

  it('when the hook answers FAILED, it switches everything back to blue, stops green and reports the deployment failed', async () => {
    // Prepare
    const { clock, platform, first, weights, events } = stack([{ hookStatus: 'FAILED' }]);
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });

    // Act
    const { deploymentId } = await platform.updateService(TARGET, green.arn, SHIFT);
    await settle(clock, 91_000);

    // Assess
    expect(weights).toEqual([{ at: 90_000, green: 0, blue: BLUE_TG }]);
    expect(events).toEqual([
      expect.objectContaining({
        deploymentId,
        outcome: 'FAILED',
        reason: 'lifecycle hook at PRE_PRODUCTION_TRAFFIC_SHIFT returned FAILED',
      }),
    ]);
    const service = await platform.describeService(TARGET);
    expect(service.taskDefinitionArn).toBe(first);
    expect(service.deployments.find((d) => d.id === deploymentId)?.rolloutState).toBe('FAILED');
    expect(platform.servingIn(TARGET, GREEN_TG)).toBeUndefined();
  });

  it('when the hook throws or never finishes within its timeout, ECS rolls back', async () => {
    // Prepare: one deployment whose hook fails, one whose hook keeps answering IN_PROGRESS
    const failing = stack([new Error('Task timed out after 900.00 seconds')]);
    const endless = stack(
      Array.from({ length: 200 }, () => ({ hookStatus: 'IN_PROGRESS', callBackDelay: 600 })),
    );
    for (const s of [failing, endless]) {
      const green = await s.platform.registerRevision('eu-west-1', s.first, 'app', {
        image: 'orders-api:2',
        environment: {},
      });
      await s.platform.updateService(TARGET, green.arn, SHIFT);
    }

    // Act
    await settle(failing.clock, 91_000);
    // The hook's timeout: the longest shift (one 1-minute step, extended once) plus 15 minutes
    await settle(endless.clock, 90_000 + 20 * 60_000);

    // Assess
    expect(failing.events[0]?.reason).toBe(
      `lifecycle hook ${SHIFT_HOOK.functionArn} failed at PRE_PRODUCTION_TRAFFIC_SHIFT: Task timed out after 900.00 seconds`,
    );
    expect(endless.events[0]).toMatchObject({
      outcome: 'FAILED',
      reason: 'lifecycle hook at PRE_PRODUCTION_TRAFFIC_SHIFT timed out after 17 minutes (action ROLLBACK)',
    });
    expect(endless.platform.serving(TARGET)?.arn).toBe(endless.first);
  });

  it('when StopServiceDeployment rolls back during blue’s bake time, production goes back to blue at once; a second stop is refused', async () => {
    // Prepare: the hook succeeded, green has everything, blue is kept 10 minutes
    const { clock, platform, first, weights, events } = stack([{ hookStatus: 'SUCCEEDED' }]);
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });
    const { deploymentId } = await platform.updateService(TARGET, green.arn, SHIFT);
    await settle(clock, 91_000 + 60_000);
    expect(platform.blueGreenStage(TARGET)).toBe('BAKE_TIME');
    expect(platform.serving(TARGET)?.arn).toBe(green.arn);

    // Act
    const stopped = await platform.rollBackInProgress(TARGET);

    // Assess
    expect(stopped?.serviceDeploymentArn).toBe(
      `arn:aws:ecs:eu-west-1:000000000000:service-deployment/prod/orders-api/${deploymentId.replace('ecs-svc/', '')}`,
    );
    expect(weights.at(-1)).toEqual({ at: clock.now(), green: 0, blue: BLUE_TG });
    expect(platform.serving(TARGET)?.arn).toBe(first);
    expect(events).toEqual([expect.objectContaining({ deploymentId, outcome: 'FAILED' })]);
    await expect(platform.rollBackInProgress(TARGET)).resolves.toBeUndefined();
    const again = await platform
      .stopServiceDeployment(stopped!.serviceDeploymentArn, 'ROLLBACK')
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(PipelineMisconfiguredError);
    expect((again as Error).message).toContain(
      'ConflictException: the service deployment is not in progress',
    );
  });

  it('when asked what ECS refuses, it refuses: no load balancer, a bake time over 24 hours, a stop type other than ROLLBACK', async () => {
    // Prepare
    const { platform, first } = stack([]);
    const bare = { ...TARGET, service: 'no-load-balancer' };
    platform.seedService(bare, { name: 'app', image: 'orders-api:1' });
    const green = await platform.registerRevision('eu-west-1', first, 'app', {
      image: 'orders-api:2',
      environment: {},
    });

    // Act
    const noLoadBalancer = await platform.updateService(bare, green.arn, SHIFT).catch((e: unknown) => e);
    const longBake = await platform
      .updateService(TARGET, green.arn, { ...SHIFT, traffic: { ...TRAFFIC, keepBlueMinutes: 1441 } })
      .catch((e: unknown) => e);
    const { deploymentId } = await platform.updateService(TARGET, green.arn, SHIFT);
    const abort = await platform
      .stopServiceDeployment(
        `arn:aws:ecs:eu-west-1:000000000000:service-deployment/prod/orders-api/${deploymentId.replace('ecs-svc/', '')}`,
        'ABORT',
      )
      .catch((e: unknown) => e);

    // Assess
    expect((noLoadBalancer as Error).message).toContain(
      'InvalidParameterException: a BLUE_GREEN deployment needs the service registered with a load balancer target group',
    );
    expect((longBake as Error).message).toContain(
      'bakeTimeInMinutes must be a whole number from 0 to 1440, got 1441',
    );
    expect((abort as Error).message).toContain('stopType must be ROLLBACK, got ABORT');
    for (const error of [noLoadBalancer, longBake, abort])
      expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    platform.stop();
  });
});
