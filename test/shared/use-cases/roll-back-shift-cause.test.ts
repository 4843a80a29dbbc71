/**
 * A stage whose traffic shift failed rolls back with the shift's cause in its summary: ECS only says the
 * hook failed, the log the hook wrote says why, with the numbers.
 */
import { ManualClock } from '../../../shared/clock';
import type { ShiftProgress } from '../../../shared/domain/traffic-shift';
import type { StageTraffic } from '../../../shared/domain/traffic-shift-stage';
import type { StageKey } from '../../../shared/ports/deployment';
import { deployService, targetOf } from '../../../shared/use-cases/deploy-service';
import { rollBackService } from '../../../shared/use-cases/roll-back-service';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryStageRecordStore } from '../../support/fakes';
import { ppeStageRun } from '../../support/fixtures';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:';
const CAUSE = 'p95 412 ms vs baseline 180 ms (2.3×) at 5% after 10 min, 1,204 requests';
const traffic: StageTraffic = {
  strategy: 'canary',
  steps: [{ percent: 5, windowMs: 600_000 }],
  keepBlueMinutes: 15,
  thresholds: { maxErrorRate: 0.05, maxP95Ratio: 2, minRequests: 100 },
  maxExtensions: 3,
  loadBalancer: {
    loadBalancerArn:
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders/50dc6c495c0c9188',
    blueTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/73e2d6bc24d8a067',
    greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/2453ed029918f21f',
    productionListenerRuleArn:
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/orders/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecs-infrastructure',
  },
};
const failure = {
  Error: 'DeploymentFailed',
  Cause: JSON.stringify({ errorMessage: 'ECS deployment ecs-svc/2 failed: lifecycle hook failed' }),
};

/** The log as the hook left it, for the stages given. */
function logOf(entries: Record<string, ShiftProgress>) {
  const reads: StageKey[] = [];
  return {
    reads,
    get: async (key: StageKey) => {
      reads.push(key);
      return entries[`${key.executionName}/${key.environment}/${key.region}`];
    },
  };
}

describe('rolling back a stage whose traffic shift failed', () => {
  const run = ppeStageRun();
  const canaryRun = { ...run, stage: { ...run.stage, traffic }, failure };
  const stageKey = `${run.executionName}/${run.stage.environment}/${run.stage.region}`;
  let platform: LocalContainerPlatform;
  let stageRecords: InMemoryStageRecordStore;

  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 9));
    platform = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
    stageRecords = new InMemoryStageRecordStore();
    platform.seedService(targetOf(run), { name: 'app', image: REGISTRY + '1'.repeat(64) });
    await deployService(run, { platform, stageRecords, clock });
  });

  afterEach(() => platform.stop());

  it('when the hook logged a failed shift, the summary quotes its cause with the numbers', async () => {
    // Prepare
    const log = logOf({
      [stageKey]: { step: 0, stepStartedAt: 0, extensions: 0, status: 'failed', cause: CAUSE, records: [] },
    });

    // Act
    const result = await rollBackService(canaryRun, { platform, stageRecords, trafficShifts: log });

    // Assess
    expect(result.summary).toBe(
      `DeploymentFailed: ECS deployment ecs-svc/2 failed: lifecycle hook failed; the traffic shift failed: ${CAUSE} ` +
        `(in ${run.stage.environment}/${run.stage.region}; rolled back: restored orders-api:1)`,
    );
  });

  it('when the shift had not failed (the bake or smoke failed), the summary says nothing of it', async () => {
    // Prepare
    const log = logOf({
      [stageKey]: { step: 0, stepStartedAt: 0, extensions: 0, status: 'shifted', records: [] },
    });

    // Act
    const result = await rollBackService(canaryRun, { platform, stageRecords, trafficShifts: log });

    // Assess
    expect(result.summary).not.toMatch(/traffic shift/);
  });

  it('when the stage rolls, the log is not read', async () => {
    // Prepare
    const log = logOf({});

    // Act
    await rollBackService({ ...run, failure }, { platform, stageRecords, trafficShifts: log });

    // Assess
    expect(log.reads).toEqual([]);
  });
});
