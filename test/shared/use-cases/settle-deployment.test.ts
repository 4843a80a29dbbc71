import { ManualClock } from '../../../shared/clock';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { EcsTarget } from '../../../shared/ports/deployment';
import { targetOf } from '../../../shared/use-cases/deploy-service';
import {
  awaitDeployment,
  onDeploymentStateChange,
  sweepDeploymentWaiters,
  type SettleDeploymentDeps,
} from '../../../shared/use-cases/settle-deployment';
import { LocalContainerPlatform } from '../../../local-runtime/adapters/local-container-platform';
import { InMemoryDeploymentWaiterStore, RecordingExecutionControl } from '../../support/fakes';
import { loadEvent, ppeStage } from '../../support/fixtures';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + 'a'.repeat(64);
const DEPLOYMENT_MS = 90_000;
const TOKEN = 'task-token-of-wait-for-ecs-deployment';

describe('settle deployment', () => {
  const stage = ppeStage();
  const target: EcsTarget = targetOf({ stage });
  let clock: ManualClock;
  let platform: LocalContainerPlatform;
  let waiters: InMemoryDeploymentWaiterStore;
  let executions: RecordingExecutionControl;
  let deps: SettleDeploymentDeps;

  /** Starts a deployment of a new revision on the PPE service and returns its id (IN_PROGRESS). */
  async function startDeployment(): Promise<string> {
    const current = (await platform.describeService(target)).taskDefinitionArn;
    const revision = await platform.registerRevision('eu-west-1', current, 'app', {
      image: IMAGE,
      environment: {},
    });
    return (await platform.updateService(target, revision.arn)).deploymentId;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 16));
    platform = new LocalContainerPlatform({ clock, deploymentMs: DEPLOYMENT_MS });
    platform.seedService(target, { name: 'app', image: IMAGE.replace(/a+$/, '0'.repeat(64)) });
    waiters = new InMemoryDeploymentWaiterStore();
    executions = new RecordingExecutionControl();
    deps = { platform, waiters, executions, clock };
  });

  afterEach(() => platform.stop());

  describe('awaitDeployment', () => {
    it('when the deployment is still in progress, it stores the waiter with its expiry and resumes nothing', async () => {
      // Prepare
      const deploymentId = await startDeployment();

      // Act
      const settlement = await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);

      // Assess
      expect(settlement).toEqual({ outcome: 'pending', deploymentId });
      expect(await waiters.get(deploymentId)).toEqual({
        deploymentId,
        taskToken: TOKEN,
        target,
        expiresAt: clock.now() + (stage.deploymentTimeoutSeconds + 3600) * 1000,
      });
      expect(executions.deliveries).toEqual([]);
    });

    it('when the deployment already completed, it resumes the execution at once and drops the waiter', async () => {
      // Prepare
      const deploymentId = await startDeployment();
      await clock.advance(DEPLOYMENT_MS);

      // Act
      const settlement = await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);

      // Assess
      expect(settlement).toEqual({ outcome: 'completed', deploymentId, delivered: true });
      expect(executions.deliveries).toEqual([
        { taskToken: TOKEN, kind: 'success', output: { deploymentId, completedAt: clock.now() } },
      ]);
      expect(await waiters.get(deploymentId)).toBeUndefined();
    });

    it('when the deployment was replaced before it completed, it fails the waiting task', async () => {
      // Prepare
      const replaced = await startDeployment();
      await startDeployment();

      // Act
      const settlement = await awaitDeployment({ taskToken: TOKEN, stage, deploymentId: replaced }, deps);

      // Assess
      expect(settlement).toMatchObject({ outcome: 'failed', deploymentId: replaced, delivered: true });
      expect(executions.deliveries).toEqual([
        {
          taskToken: TOKEN,
          kind: 'failure',
          error: 'DeploymentFailed',
          cause: `ECS deployment ${replaced} failed: the deployment was replaced before it completed`,
        },
      ]);
    });
  });

  describe('onDeploymentStateChange', () => {
    const completed = loadEvent('ecs-deployment-completed.json').detail as {
      deploymentId: string;
      eventName: string;
      reason: string;
    };
    const failed = loadEvent('ecs-deployment-failed.json').detail as typeof completed;

    async function waitFor(deploymentId: string): Promise<void> {
      await waiters.put({ deploymentId, taskToken: TOKEN, target, expiresAt: clock.now() + 3_600_000 });
    }

    it('when ECS reports COMPLETED for a waited deployment, it sends task success once', async () => {
      // Prepare
      await waitFor(completed.deploymentId);

      // Act
      const settlement = await onDeploymentStateChange(completed, deps);
      const redelivered = await onDeploymentStateChange(completed, deps);

      // Assess
      expect(settlement).toMatchObject({
        outcome: 'completed',
        deploymentId: completed.deploymentId,
        delivered: true,
      });
      expect(redelivered).toMatchObject({ outcome: 'unknown' });
      expect(executions.deliveries).toEqual([
        {
          taskToken: TOKEN,
          kind: 'success',
          output: { deploymentId: completed.deploymentId, completedAt: clock.now() },
        },
      ]);
    });

    it('when ECS reports FAILED, it sends task failure DeploymentFailed with the reason', async () => {
      // Prepare
      await waitFor(failed.deploymentId);

      // Act
      const settlement = await onDeploymentStateChange(failed, deps);

      // Assess
      expect(settlement).toEqual({
        outcome: 'failed',
        deploymentId: failed.deploymentId,
        delivered: true,
        reason: 'ECS deployment circuit breaker: tasks failed to start.',
      });
      expect(executions.deliveries).toEqual([
        {
          taskToken: TOKEN,
          kind: 'failure',
          error: 'DeploymentFailed',
          cause: `ECS deployment ${failed.deploymentId} failed: ECS deployment circuit breaker: tasks failed to start.`,
        },
      ]);
      expect(await waiters.get(failed.deploymentId)).toBeUndefined();
    });

    it('when ECS reports IN_PROGRESS, it leaves the execution waiting', async () => {
      // Prepare
      await waitFor(completed.deploymentId);
      const inProgress = { ...completed, eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' };

      // Act
      const settlement = await onDeploymentStateChange(inProgress, deps);

      // Assess
      expect(settlement).toEqual({
        outcome: 'pending',
        deploymentId: completed.deploymentId,
        reason: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
      });
      expect(executions.deliveries).toEqual([]);
      expect(await waiters.get(completed.deploymentId)).toMatchObject({ taskToken: TOKEN });
    });

    it('when no execution waits for the deployment, it does nothing', async () => {
      // Prepare
      await waitFor('ecs-svc/some-other-deployment');

      // Act
      const settlement = await onDeploymentStateChange(completed, deps);

      // Assess
      expect(settlement).toEqual({
        outcome: 'unknown',
        deploymentId: completed.deploymentId,
        reason: 'no execution waits for this deployment',
      });
      expect(executions.deliveries).toEqual([]);
      expect(await waiters.list()).toHaveLength(1);
    });
  });

  describe('sweepDeploymentWaiters', () => {
    /** The revision a deployment rolls out, as deploy-service reports it to "Wait for ECS deployment". */
    async function taskDefinitionOf(deploymentId: string): Promise<string> {
      const deployment = (await platform.describeService(target)).deployments.find(
        (d) => d.id === deploymentId,
      );
      return deployment!.taskDefinitionArn;
    }

    it('when a completed deployment was replaced by a newer one before the sweep read it, it resumes the execution with success', async () => {
      // Prepare: the deployment completes, its event is lost (another region), a newer deployment replaces it.
      const deploymentId = await startDeployment();
      const taskDefinitionArn = await taskDefinitionOf(deploymentId);
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId, taskDefinitionArn }, deps);
      await clock.advance(DEPLOYMENT_MS);
      await startDeployment();
      await clock.advance(DEPLOYMENT_MS);
      expect((await platform.describeService(target)).deployments.map((d) => d.id)).not.toContain(
        deploymentId,
      );

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual([{ outcome: 'completed', deploymentId, delivered: true }]);
      expect(executions.deliveries).toEqual([
        { taskToken: TOKEN, kind: 'success', output: { deploymentId, completedAt: clock.now() } },
      ]);
      expect(await waiters.get(deploymentId)).toBeUndefined();
    });

    it('when a deployment was replaced by a newer one before it completed, it fails the execution with why', async () => {
      // Prepare
      const deploymentId = await startDeployment();
      const taskDefinitionArn = await taskDefinitionOf(deploymentId);
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId, taskDefinitionArn }, deps);
      await clock.advance(DEPLOYMENT_MS / 2);
      await startDeployment();

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual([
        expect.objectContaining({
          outcome: 'failed',
          deploymentId,
          delivered: true,
          reason: expect.stringMatching(/replaced before it completed/),
        }),
      ]);
      expect(executions.deliveries).toEqual([expect.objectContaining({ taskToken: TOKEN, kind: 'failure' })]);
    });

    it('when the ECS event and the sweep race for a completed deployment, exactly one resumes the execution', async () => {
      // Prepare
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      await clock.advance(DEPLOYMENT_MS);

      // Act: the sweep lists the waiter, then the event arrives while the sweep asks ECS
      const [fromSweep, fromEvent] = await Promise.all([
        sweepDeploymentWaiters(deps),
        onDeploymentStateChange({ deploymentId, eventName: 'SERVICE_DEPLOYMENT_COMPLETED' }, deps),
      ]);

      // Assess
      expect(executions.deliveries).toHaveLength(1);
      expect(executions.deliveries[0]).toMatchObject({ taskToken: TOKEN, kind: 'success' });
      expect(fromSweep).toHaveLength(1); // both saw the waiter: one resumed it, the other found it answered
      const settled = [fromEvent, ...fromSweep].filter((s) => s.outcome === 'completed');
      expect(settled.filter((s) => 'delivered' in s && s.delivered)).toHaveLength(1);
      expect(await waiters.list()).toEqual([]);
    });

    it('when a deployment finished without an event, the sweep resumes its execution and leaves pending ones', async () => {
      // Prepare
      const finished = await startDeployment();
      await awaitDeployment({ taskToken: 'finished-token', stage, deploymentId: finished }, deps);
      await clock.advance(DEPLOYMENT_MS);
      const pending = await startDeployment();
      await awaitDeployment({ taskToken: 'pending-token', stage, deploymentId: pending }, deps);

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual(
        expect.arrayContaining([
          { outcome: 'completed', deploymentId: finished, delivered: true },
          { outcome: 'pending', deploymentId: pending },
        ]),
      );
      expect(executions.deliveries.map((d) => [d.taskToken, d.kind])).toEqual([
        ['finished-token', 'success'],
      ]);
      expect((await waiters.list()).map((w) => w.deploymentId)).toEqual([pending]);
    });

    it('when SendTaskSuccess is throttled, the waiter stays and the next sweep resumes the execution', async () => {
      // Prepare: the deployment completed; Step Functions throttles the first callback
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      await clock.advance(DEPLOYMENT_MS);
      executions.throttleNext(1);

      // Act
      const fromEvent = onDeploymentStateChange(
        { deploymentId, eventName: 'SERVICE_DEPLOYMENT_COMPLETED' },
        deps,
      );
      await expect(fromEvent).rejects.toThrow(AwsTransientError);
      const waiterAfterThrottle = await waiters.get(deploymentId);
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(waiterAfterThrottle).toMatchObject({ taskToken: TOKEN });
      expect(settlements).toEqual([{ outcome: 'completed', deploymentId, delivered: true }]);
      expect(executions.deliveries).toEqual([
        { taskToken: TOKEN, kind: 'success', output: { deploymentId, completedAt: clock.now() } },
      ]);
      expect(await waiters.list()).toEqual([]);
    });

    it('when the token was answered already (TaskTimedOut), it counts as done and drops the waiter', async () => {
      // Prepare: an earlier attempt delivered, then failed before it removed the waiter
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      await clock.advance(DEPLOYMENT_MS);
      await executions.sendTaskSuccess(TOKEN, { deploymentId, completedAt: clock.now() });

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual([{ outcome: 'completed', deploymentId, delivered: false }]);
      expect(executions.deliveries).toHaveLength(1);
      expect(await waiters.list()).toEqual([]);
    });

    it('when Step Functions calls the token invalid, it counts as done and drops the waiter', async () => {
      // Prepare
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      await clock.advance(DEPLOYMENT_MS);
      const invalid = Object.assign(new Error('Invalid Token'), { name: 'InvalidToken' });
      deps = {
        ...deps,
        executions: {
          startExecution: (r) => executions.startExecution(r),
          sendTaskFailure: (t, e, c) => executions.sendTaskFailure(t, e, c),
          sendTaskSuccess: () => Promise.reject(invalid),
        },
      };

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual([{ outcome: 'completed', deploymentId, delivered: false }]);
      expect(await waiters.list()).toEqual([]);
    });

    it('when a retried wait stored a new token meanwhile, settling the old one leaves the new waiter', async () => {
      // Prepare
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      await clock.advance(DEPLOYMENT_MS);
      const slowEcs = deps.executions;
      const retried = { taskToken: 'token-of-the-retry', target, deploymentId, expiresAt: clock.now() + 1 };
      deps = {
        ...deps,
        executions: {
          startExecution: (r) => slowEcs.startExecution(r),
          sendTaskFailure: (t, e, c) => slowEcs.sendTaskFailure(t, e, c),
          sendTaskSuccess: async (t, o) => {
            await waiters.put(retried); // the retried step stores its token while this callback is in flight
            return slowEcs.sendTaskSuccess(t, o);
          },
        },
      };

      // Act
      await onDeploymentStateChange({ deploymentId, eventName: 'SERVICE_DEPLOYMENT_COMPLETED' }, deps);

      // Assess
      expect(await waiters.get(deploymentId)).toEqual(retried);
    });

    it('when a waiter is past its expiry, the sweep drops it without resuming anything', async () => {
      // Prepare: the deployment never finishes within the waiter's lifetime
      platform = new LocalContainerPlatform({ clock, deploymentMs: 100 * 3_600_000 });
      platform.seedService(target, { name: 'app', image: IMAGE });
      deps = { ...deps, platform };
      const deploymentId = await startDeployment();
      await awaitDeployment({ taskToken: TOKEN, stage, deploymentId }, deps);
      const lifetime = (stage.deploymentTimeoutSeconds + 3600) * 1000;
      await clock.advance(lifetime);
      expect(await sweepDeploymentWaiters(deps)).toEqual([{ outcome: 'pending', deploymentId }]);
      await clock.advance(1);

      // Act
      const settlements = await sweepDeploymentWaiters(deps);

      // Assess
      expect(settlements).toEqual([{ outcome: 'unknown', deploymentId, reason: 'waiter expired' }]);
      expect(await waiters.list()).toEqual([]);
      expect(executions.deliveries).toEqual([]);
    });
  });
});
