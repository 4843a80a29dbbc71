import { MIGRATION_TIMED_OUT } from '../../../shared/domain/migrations';
import { ecsTaskStateChangeSchema, taskViewOf } from '../../../shared/events/ecs-task-state-change.schema';
import { targetOf } from '../../../shared/use-cases/deploy-service';
import { onMigrationTaskStopped, runMigrations } from '../../../shared/use-cases/run-migrations';
import { stopTimedOutMigration } from '../../../shared/use-cases/stop-timed-out-migration';
import { ppeStageRun } from '../../support/fixtures';
import { localDynamoForFile, migrationStepPerTest } from '../../support/migration-step';

/**
 * "Stop the migration that timed out" (shared/use-cases/stop-timed-out-migration.ts): the timeout path of the
 * migration states, on the local ECS and one-off tasks, with the real DynamoDB store on dynalite.
 */
const dynamo = localDynamoForFile();

describe('stopTimedOutMigration', () => {
  const world = migrationStepPerTest(dynamo, {
    table: 'stop',
    executionSuffix: 's',
    result: { exitCode: 0, output: ['> migrate', 'Migrating 001_orders (waiting for a lock)'], hangs: true },
  });
  const base = ppeStageRun();

  /** The state machine's view of the timeout: the step ran, its task hangs, 600 s pass. */
  async function stepTimesOut(): Promise<string> {
    const step = await runMigrations(world.request, world.deps);
    if (step.status === 'already-migrated') throw new Error('the step should have started a task');
    await new Promise((resolve) => setImmediate(resolve));
    await world.clock.advance(600_000);
    return step.taskArn;
  }

  it('when the step timed out with its task running, it stops the task and records it as timed out, stopped', async () => {
    // Prepare
    const taskArn = await stepTimesOut();

    // Act
    const failure = await stopTimedOutMigration(world.request, world.deps);

    // Assess
    expect(failure.Error).toBe(MIGRATION_TIMED_OUT);
    expect(failure.Cause).toContain('migration task in ppe/eu-west-1 did not finish within 600 seconds');
    expect(failure.Cause).toContain(`the pipeline stopped task ${taskArn}`);
    expect(failure.Cause).toContain('nothing was deployed');
    const task = await world.tasks.describeTask(targetOf(base), taskArn);
    expect(task).toEqual(
      expect.objectContaining({
        lastStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: `pipeline: migration step timed out after 600 s (${world.request.executionName})`,
      }),
    );
    expect(await world.deps.store.history('orders-api')).toEqual([
      expect.objectContaining({
        kind: 'migrate',
        outcome: 'timed-out',
        taskArn,
        reason:
          'timed out, stopped: did not finish within 600 seconds; the pipeline stopped the task (StopTask)',
        endedAt: world.clock.now(),
      }),
    ]);
    expect(await world.deps.store.waiters()).toEqual([]);
  });

  it('when the stopped task then reports its end, the event answers nothing and records nothing more', async () => {
    // Prepare
    await stepTimesOut();
    await stopTimedOutMigration(world.request, world.deps);

    // Act
    const settlements = [];
    for (const event of world.events.splice(0))
      settlements.push(
        await onMigrationTaskStopped(taskViewOf(ecsTaskStateChangeSchema.parse(event)), world.deps),
      );

    // Assess
    expect(settlements).toEqual([expect.objectContaining({ outcome: 'unknown' })]);
    expect(world.executions.deliveries).toEqual([]);
    expect(await world.deps.store.history('orders-api')).toHaveLength(1);
  });

  it('when the stop is retried, it stops nothing twice and says the task is stopped', async () => {
    // Prepare
    const taskArn = await stepTimesOut();
    await stopTimedOutMigration(world.request, world.deps);
    const stopTask = jest.spyOn(world.tasks, 'stopTask');

    // Act
    const again = await stopTimedOutMigration(world.request, world.deps);

    // Assess
    expect(stopTask).not.toHaveBeenCalled();
    expect(again.Cause).toContain(`task ${taskArn} is stopped (exit code 143, UserInitiated: pipeline:`);
    expect(await world.deps.store.history('orders-api')).toHaveLength(1);
  });

  it('when the task ended on its own but its event was lost, it records the end as it was, not as a stop', async () => {
    // Prepare
    world.result = { exitCode: 0, output: ['Migrating 001_orders', 'Done'], durationMs: 30_000 };
    const taskArn = await stepTimesOut();
    world.events.length = 0;
    const stopTask = jest.spyOn(world.tasks, 'stopTask');

    // Act
    const failure = await stopTimedOutMigration(world.request, world.deps);

    // Assess
    expect(stopTask).not.toHaveBeenCalled();
    expect(failure.Cause).toContain(`task ${taskArn} has ended on its own (exit code 0`);
    expect(failure.Cause).toContain('it did migrate: a redrive deploys without migrating again');
    expect(await world.deps.store.history('orders-api')).toEqual([
      expect.objectContaining({
        outcome: 'succeeded',
        exitCode: 0,
        output: ['Migrating 001_orders', 'Done'],
      }),
    ]);
    expect(await world.deps.store.waiters()).toEqual([]);
  });

  it('when the plan step timed out, it stops the plan task and says so', async () => {
    // Prepare
    world.request = { ...world.request, kind: 'plan' };
    const taskArn = await stepTimesOut();

    // Act
    const failure = await stopTimedOutMigration(world.request, world.deps);

    // Assess
    expect(failure.Cause).toContain('migration plan task in ppe/eu-west-1 did not finish within 600 seconds');
    expect(failure.Cause).toContain(`the pipeline stopped task ${taskArn}`);
    expect(await world.deps.store.history('orders-api')).toEqual([
      expect.objectContaining({ kind: 'plan', outcome: 'timed-out' }),
    ]);
  });

  it('when no task of the step exists, it stops nothing and says so', async () => {
    // Act
    const failure = await stopTimedOutMigration(world.request, world.deps);

    // Assess
    expect(failure).toEqual({
      Error: MIGRATION_TIMED_OUT,
      Cause:
        'migration task in ppe/eu-west-1 did not finish within 600 seconds; no task of this step was found ' +
        'to stop; nothing was deployed (a redrive runs it again in a new task)',
    });
  });
});
