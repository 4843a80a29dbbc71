import { requestApproval } from '../../../shared/approvals/request-approval';
import { ManualClock } from '../../../shared/clock';
import type { DeploymentLocks, DeploymentOrder, LockKey } from '../../../shared/ports/deployment';
import { StageFailedError, stopStage, type StopStageDeps } from '../../../shared/use-cases/stop-stage';
import { LocalNotifications } from '../../../local-runtime/adapters/local-notifications';
import { InMemoryDeploymentRecords, InMemoryStageRecordStore } from '../../support/fakes';
import { ppeStageRun } from '../../support/fixtures';
import { InMemoryApprovalStore, RecordingNotifier } from '../approvals/in-memory-approval-store';
import { approvalRequest } from '../approvals/approval-fixtures';

/** Locks that only remember what was released. */
class RecordingLocks implements DeploymentLocks {
  readonly released: { key: LockKey; owner: string; deployed?: DeploymentOrder }[] = [];
  async acquire(): Promise<{ acquired: true }> {
    return { acquired: true };
  }
  async markWaiting(): Promise<boolean> {
    return true;
  }
  async release(key: LockKey, owner: string, deployed?: DeploymentOrder): Promise<void> {
    this.released.push({ key, owner, ...(deployed && { deployed }) });
  }
}

const silentLog = { warn: () => undefined };

describe('stopStage (the "Stop the stage" use case)', () => {
  let clock: ManualClock;
  let deps: StopStageDeps & {
    locks: RecordingLocks;
    records: InMemoryDeploymentRecords;
    stageRecords: InMemoryStageRecordStore;
    notifications: LocalNotifications;
  };

  beforeEach(() => {
    clock = new ManualClock();
    deps = {
      locks: new RecordingLocks(),
      approvals: new InMemoryApprovalStore(),
      records: new InMemoryDeploymentRecords(),
      stageRecords: new InMemoryStageRecordStore(),
      clock,
      notifications: new LocalNotifications(clock),
      log: silentLog,
    };
  });

  it('when the stage was rolled back, it records "rolled back", frees the lock, notifies once and fails with the original error', async () => {
    // Prepare
    const run = ppeStageRun();
    const state = {
      failure: { Error: 'SmokeTestFailed', Cause: 'health 500' },
      failedAt: { redriveCount: 0 },
      rollback: { summary: 'SmokeTestFailed: health 500 (rolled back)', rolledBack: true },
    };

    // Act
    const act = stopStage({ ...run, state, redriveCount: 0 }, deps);

    // Assess
    await expect(act).rejects.toThrow(StageFailedError);
    await expect(act).rejects.toMatchObject({ name: 'SmokeTestFailed' });
    expect(deps.records.all().map((r) => [r.outcome, r.detail])).toEqual([
      ['rolled back', 'SmokeTestFailed: health 500 (rolled back)'],
    ]);
    expect(deps.locks.released).toEqual([
      { key: { service: 'orders-api', environment: run.stage.environment }, owner: run.executionName },
    ]);
    expect(deps.notifications.list()).toHaveLength(1);
    expect(deps.notifications.list()[0]).toMatchObject({ kind: 'stage-rolled-back' });
  });

  it('when the rollback failed, it keeps the deployment lock', async () => {
    // Prepare
    const state = {
      failure: { Error: 'DeploymentFailed' },
      failedAt: { redriveCount: 0 },
      rollbackFailure: { Error: 'States.Timeout' },
    };

    // Act
    const act = stopStage({ ...ppeStageRun(), state, redriveCount: 0 }, deps);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'RollbackFailed' });
    expect(deps.locks.released).toEqual([]);
    expect(deps.records.all().map((r) => r.outcome)).toEqual(['rollback failed']);
  });

  it.each([
    [
      'the rollback failed too',
      { rollbackFailure: { Error: 'AwsTransientError', Cause: 'ECS DescribeTaskDefinition throttled' } },
      'rollback failed',
    ],
    [
      'the rollback restored the previous revision',
      { rollback: { summary: 's', rolledBack: true } },
      'rolled back',
    ],
  ] as const)(
    'when the deploy step died after UpdateService (no result) and %s, the record names the revision it sent to ECS',
    async (_case, ending, outcome) => {
      // Prepare: the deploy noted its revision before UpdateService, then its Lambda died and every retry failed.
      const run = ppeStageRun();
      const key = { executionName: run.executionName, environment: 'ppe', region: 'eu-west-1' };
      await deps.stageRecords.rememberDeployedRevision(
        key,
        'arn:aws:ecs:eu-west-1:1:task-definition/orders-api:7',
      );
      const state = { failure: { Error: 'AwsTransientError' }, failedAt: { redriveCount: 0 }, ...ending };

      // Act
      const act = stopStage({ ...run, state, redriveCount: 0 }, deps);

      // Assess
      await expect(act).rejects.toThrow(StageFailedError);
      expect(deps.records.all().map((r) => [r.outcome, r.taskDefinitionArn])).toEqual([
        [outcome, 'arn:aws:ecs:eu-west-1:1:task-definition/orders-api:7'],
      ]);
    },
  );

  it('when the deploy step returned its result, the record names that revision, not the noted one', async () => {
    // Prepare
    const run = ppeStageRun();
    const key = { executionName: run.executionName, environment: 'ppe', region: 'eu-west-1' };
    await deps.stageRecords.rememberDeployedRevision(key, 'td:noted');
    const deployment = {
      previousTaskDefinitionArn: 'td:1',
      taskDefinitionArn: 'td:2',
      deploymentId: 'ecs-svc/1',
      startedAt: 5,
    };
    const state = {
      failure: { Error: 'SmokeTestFailed' },
      failedAt: { redriveCount: 0 },
      deployment,
      rollbackFailure: { Error: 'States.Timeout' },
    };

    // Act
    const act = stopStage({ ...run, state, redriveCount: 0 }, deps);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'RollbackFailed' });
    expect(deps.records.all().map((r) => [r.outcome, r.taskDefinitionArn, r.startedAt])).toEqual([
      ['rollback failed', 'td:2', 5],
    ]);
  });

  it('when the stage never reached its deploy (held by the gate), the record names no revision', async () => {
    // Prepare
    const run = ppeStageRun();
    const state = {
      failure: { Error: 'DeploymentFrozen', Cause: 'frozen' },
      failedAt: { redriveCount: 0 },
      rollback: { summary: 'nothing to roll back', rolledBack: false },
    };

    // Act
    const act = stopStage({ ...run, state, redriveCount: 0 }, deps);

    // Assess
    await expect(act).rejects.toMatchObject({ name: 'DeploymentFrozen' });
    expect(deps.records.all().map((r) => [r.outcome, r.taskDefinitionArn])).toEqual([['failed', undefined]]);
  });

  it('when the approval timed out, it marks the pending approval expired', async () => {
    // Prepare
    const run = ppeStageRun();
    const request = approvalRequest({
      executionName: run.executionName,
      environment: run.stage.environment,
      region: run.stage.region,
    });
    const { approvalId } = await requestApproval(request, {
      store: deps.approvals,
      notifier: new RecordingNotifier(),
      clock,
    });
    const state = { failure: { Error: 'ApprovalExpired' }, failedAt: { redriveCount: 0 } };

    // Act
    await expect(stopStage({ ...run, state, redriveCount: 0 }, deps)).rejects.toMatchObject({
      name: 'ApprovalExpired',
    });

    // Assess
    expect(await deps.approvals.get(approvalId)).toMatchObject({ status: 'expired' });
    expect(deps.records.all().map((r) => r.outcome)).toEqual(['approval expired']);
  });

  it('when the execution was redriven since the failure, it resumes the stage and changes nothing', async () => {
    // Prepare
    const state = {
      failure: { Error: 'SmokeTestFailed' },
      failedAt: { redriveCount: 0 },
      rollback: { summary: 'rolled back', rolledBack: true },
    };

    // Act
    const resume = await stopStage({ ...ppeStageRun(), state, redriveCount: 1 }, deps);

    // Assess
    expect(resume).toMatchObject({ resumeFrom: 'deploy' });
    expect(deps.records.all()).toEqual([]);
    expect(deps.locks.released).toEqual([]);
    expect(deps.notifications.list()).toEqual([]);
  });
});
