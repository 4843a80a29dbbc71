import { ManualClock } from '../../../shared/clock';
import { PipelineMisconfiguredError } from '../../../shared/domain/errors';
import type { EcsTarget } from '../../../shared/ports/deployment';
import type { ServiceDeploymentControl } from '../../../shared/ports/traffic-shift';
import { deployService, targetOf } from '../../../shared/use-cases/deploy-service';
import { rollBackService } from '../../../shared/use-cases/roll-back-service';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore } from '../../support/fakes';
import { InMemoryTrafficShiftLog } from '../../support/shift-progress';
import { ppeStageRun } from '../../support/fixtures';
import { canaryTraffic, SHIFT_HOOK } from '../../support/stage-traffic';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:';
const traffic = canaryTraffic({
  steps: [{ percent: 5, windowMs: 600_000 }],
  keepBlueMinutes: 15,
  minRequests: 100,
  maxExtensions: 3,
});

/** A test double of the port: whether a blue/green deployment is still in progress (blue still runs). */
class BlueStillRuns implements ServiceDeploymentControl {
  readonly stopped: EcsTarget[] = [];
  constructor(private readonly inProgress: string | undefined) {}
  async rollBackInProgress(target: EcsTarget) {
    if (!this.inProgress) return undefined;
    this.stopped.push(target);
    return { serviceDeploymentArn: this.inProgress };
  }
}

describe('rolling back a stage that shifts traffic', () => {
  const run = ppeStageRun();
  const canaryRun = { ...run, stage: { ...run.stage, traffic } };
  const target = targetOf(run);
  let platform: LocalContainerPlatform;
  let stageRecords: InMemoryStageRecordStore;

  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 9));
    // The local ECS runs blue/green deployments only behind a load balancer, as ECS does; the hook and the
    // listener are not what these tests look at.
    platform = new LocalContainerPlatform({
      clock,
      deploymentMs: 90_000,
      blueGreen: {
        invokeHook: async () => ({ hookStatus: 'SUCCEEDED' }),
        router: { setGreenWeight: async () => undefined, retarget: async () => undefined },
      },
    });
    stageRecords = new InMemoryStageRecordStore();
    platform.seedService(target, { name: 'app', image: REGISTRY + '1'.repeat(64) });
    platform.attachLoadBalancer(target, traffic.loadBalancer.blueTargetGroupArn, 'app');
    await deployService(run, { platform, stageRecords, clock });
  });

  afterEach(() => platform.stop());

  it('when blue still runs (the deployment bakes), it switches back by stopping the deployment with rollback', async () => {
    // Prepare
    const control = new BlueStillRuns(
      'arn:aws:ecs:eu-west-1:123456789012:service-deployment/ppe/orders-api/Tfx5sH9q',
    );
    const update = jest.spyOn(platform, 'updateService');

    // Act
    const result = await rollBackService(canaryRun, {
      platform,
      stageRecords,
      serviceDeployments: control,
      trafficShiftHook: SHIFT_HOOK,
    });

    // Assess
    expect(control.stopped).toEqual([target]);
    expect(update).not.toHaveBeenCalled();
    expect(result).toMatchObject({
      rolledBack: true,
      reason:
        'switched traffic back to blue (orders-api:1), which still ran: stopped ECS deployment Tfx5sH9q with ROLLBACK',
    });
    expect(result).not.toHaveProperty('deploymentId');
  });

  it('when the hook recorded a failed shift, the stage’s cause carries the hook’s numbers; a shift that did not fail adds nothing', async () => {
    // Prepare: ECS says only that the hook failed; the hook's log says why
    const log = new InMemoryTrafficShiftLog();
    const key = { executionName: canaryRun.executionName, environment: 'ppe', region: 'eu-west-1' };
    const cause = 'p95 90 ms vs baseline 31 ms (2.9×) at 5% after 1 min, 400 requests';
    await log.record(key, { step: 0, stepStartedAt: 0, extensions: 0, status: 'failed', cause, records: [] });
    const failure = {
      Error: 'DeploymentFailed',
      Cause:
        'ECS deployment ecs-svc/2 failed: lifecycle hook at PRE_PRODUCTION_TRAFFIC_SHIFT returned FAILED',
    };
    const deps = {
      platform,
      stageRecords,
      serviceDeployments: new BlueStillRuns(
        'arn:aws:ecs:eu-west-1:123456789012:service-deployment/ppe/orders-api/Tfx5sH9q',
      ),
      trafficShiftHook: SHIFT_HOOK,
      shiftLog: log,
    };

    // Act
    const failed = await rollBackService({ ...canaryRun, failure }, deps);
    await log.record(key, { step: 1, stepStartedAt: 0, extensions: 0, status: 'shifting', records: [] });
    const stillShifting = await rollBackService({ ...canaryRun, failure }, deps);

    // Assess
    expect(failed.summary).toBe(
      `DeploymentFailed: ${failure.Cause}; traffic shift failed: ${cause} (in ppe/eu-west-1; rolled back: ` +
        'switched traffic back to blue (orders-api:1), which still ran: stopped ECS deployment Tfx5sH9q with ROLLBACK)',
    );
    expect(stillShifting.summary).not.toContain('traffic shift failed');
  });

  it('when blue is gone, it deploys the previous revision back as blue/green, all at once, nothing judged', async () => {
    // Prepare
    const update = jest.spyOn(platform, 'updateService');

    // Act
    const result = await rollBackService(canaryRun, {
      platform,
      stageRecords,
      serviceDeployments: new BlueStillRuns(undefined),
      trafficShiftHook: SHIFT_HOOK,
    });

    // Assess
    expect(result).toMatchObject({ rolledBack: true, reason: 'restored orders-api:1' });
    const shift = update.mock.calls[0]?.[2];
    expect(shift?.traffic).toMatchObject({ strategy: 'blue-green', steps: [] });
    expect(shift?.hook).toEqual(SHIFT_HOOK);
  });

  it('when blue is gone from a blue-green stage with test checks, the previous revision goes back without them', async () => {
    // Prepare: checks written for the new version must not hold back the old one's return
    const update = jest.spyOn(platform, 'updateService');
    const blueGreenRun = {
      ...run,
      stage: {
        ...run.stage,
        traffic: {
          ...traffic,
          strategy: 'blue-green' as const,
          steps: [],
          testChecks: [
            {
              name: 'new-endpoint',
              path: '/v2/orders',
              method: 'GET' as const,
              expectStatus: 200,
              maxLatencyMs: 2000,
              timeoutMs: 5000,
            },
          ],
          loadBalancer: {
            ...traffic.loadBalancer,
            testListenerRuleArn:
              'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/0c1d2e3f4a5b6c7d/8e9f0a1b2c3d4e5f',
            testEndpoint: 'https://orders-test.example.internal:8443',
          },
        },
      },
    };

    // Act
    const result = await rollBackService(blueGreenRun, {
      platform,
      stageRecords,
      serviceDeployments: new BlueStillRuns(undefined),
      trafficShiftHook: SHIFT_HOOK,
    });

    // Assess
    expect(result).toMatchObject({ rolledBack: true, reason: 'restored orders-api:1' });
    expect(update.mock.calls[0]?.[2]?.traffic.testChecks).toBeUndefined();
  });

  it('when the stage rolls, nothing of the traffic shift is used', async () => {
    // Prepare
    const control = new BlueStillRuns(
      'arn:aws:ecs:eu-west-1:123456789012:service-deployment/ppe/orders-api/x',
    );
    const update = jest.spyOn(platform, 'updateService');

    // Act
    await rollBackService(run, {
      platform,
      stageRecords,
      serviceDeployments: control,
      trafficShiftHook: SHIFT_HOOK,
    });

    // Assess
    expect(control.stopped).toEqual([]);
    expect(update.mock.calls[0]?.[2]).toBeUndefined();
  });

  it('when a stage that shifts traffic deploys, the update carries its plan, the hook and whose stage it is', async () => {
    // Prepare
    const update = jest.spyOn(platform, 'updateService');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 10));
    const next = { ...canaryRun, executionName: 'push-orders-api-next', commit: 'b'.repeat(40) };

    // Act
    await deployService(next, { platform, stageRecords, clock, trafficShiftHook: SHIFT_HOOK });

    // Assess
    expect(update.mock.calls[0]?.[2]).toEqual({
      traffic,
      hook: SHIFT_HOOK,
      stage: {
        executionName: 'push-orders-api-next',
        service: 'orders-api',
        environment: 'ppe',
        region: 'eu-west-1',
        // The version each side runs, for KPIs selected by it: here blue's revision reports the same one.
        versions: {
          blue: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
          green: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        },
      },
    });
  });

  it('when a stage that shifts traffic deploys without the hook configured, it refuses before touching ECS', async () => {
    // Prepare
    const update = jest.spyOn(platform, 'updateService');
    const next = { ...canaryRun, executionName: 'push-orders-api-next', commit: 'b'.repeat(40) };

    // Act
    const error = await deployService(next, { platform, stageRecords, clock: new ManualClock() }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect((error as Error).message).toContain(
      'shifts traffic (strategy "canary") but the pipeline has no traffic shift hook',
    );
    expect(update).not.toHaveBeenCalled();
  });
});
