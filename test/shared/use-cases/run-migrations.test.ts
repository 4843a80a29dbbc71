import {
  MIGRATION_FAILED,
  MIGRATION_STARTED_BY_PREFIX,
  migrationStartedBy,
} from '../../../shared/domain/migrations';
import { ecsTaskStateChangeSchema, taskViewOf } from '../../../shared/events/ecs-task-state-change.schema';
import {
  onMigrationTaskStopped,
  runMigrations,
  sweepMigrationWaiters,
} from '../../../shared/use-cases/run-migrations';
import { ppeStageRun } from '../../support/fixtures';
import { localDynamoForFile, migrationStepPerTest } from '../../support/migration-step';

/**
 * The "Run migrations" step and its callback (shared/use-cases/run-migrations.ts), on the local ECS and
 * one-off tasks, with the real DynamoDB store on dynalite.
 */
const dynamo = localDynamoForFile();

describe('runMigrations', () => {
  const world = migrationStepPerTest(dynamo, {
    table: 'pipeline',
    executionSuffix: 't',
    result: { exitCode: 0, output: ['> migrate', 'Migrating 001_orders', 'Done'] },
    taskMs: 20_000,
  });
  const base = ppeStageRun();

  /** Lets the task run to its end in pipeline time, then delivers its Task State Change event. */
  async function taskStops(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await world.clock.advance(20_000);
    for (const event of world.events.splice(0))
      await onMigrationTaskStopped(taskViewOf(ecsTaskStateChangeSchema.parse(event)), world.deps);
  }

  it('when the step runs, it starts one task of the new revision with the command, tagged by stage and digest', async () => {
    // Act
    const step = await runMigrations(world.request, world.deps);

    // Assess
    expect(step.status).toBe('running');
    expect(world.tasks.started).toHaveLength(1);
    const [task] = world.tasks.started;
    expect(task!.command).toEqual(['npm', 'run', 'migrate']);
    expect(task!.startedBy.startsWith(`${MIGRATION_STARTED_BY_PREFIX}migrate/ppe/eu-west-1/`)).toBe(true);
    expect(task!.startedBy.length).toBeLessThanOrEqual(128);
    const revision = await world.platform.describeTaskDefinition('eu-west-1', task!.taskDefinitionArn);
    expect(revision.containers[0]!.image).toContain(base.image.digest);
    expect(world.executions.deliveries).toEqual([]);
  });

  it('when the step starts its task, it stores the waiter once and then sets the task on it', async () => {
    // Prepare
    const putWaiter = jest.spyOn(world.deps.store, 'putWaiter');

    // Act
    await runMigrations(world.request, world.deps);

    // Assess
    expect(putWaiter).toHaveBeenCalledTimes(1);
    expect(putWaiter.mock.calls[0]![0].taskArn).toBeUndefined();
    const [waiter] = await world.deps.store.waiters();
    expect(waiter).toEqual(
      expect.objectContaining({
        taskToken: world.request.taskToken,
        taskArn: world.tasks.started[0]!.taskArn,
      }),
    );
  });

  it('when the waiter was settled before the task could be set on it, setting the task recreates nothing', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);
    const [waiter] = await world.deps.store.waiters();
    await world.deps.store.removeWaiter(waiter!.startedBy, waiter!.taskToken);

    // Act
    const set = await world.deps.store.setWaiterTask(
      waiter!.startedBy,
      'arn:aws:ecs:eu-west-1:123456789012:task/ppe/x',
    );

    // Assess
    expect(set).toBe(false);
    expect(await world.deps.store.waiter(waiter!.startedBy)).toBeUndefined();
  });

  it('when the task exits 0, its event continues the stage with what it logged and how long it took', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);

    // Act
    await taskStops();

    // Assess
    expect(world.executions.deliveries).toEqual([
      expect.objectContaining({
        taskToken: world.request.taskToken,
        kind: 'success',
        output: expect.objectContaining({
          kind: 'migrate',
          outcome: 'succeeded',
          durationMs: 20_000,
          output: ['> migrate', 'Migrating 001_orders', 'Done'],
        }),
      }),
    ]);
    expect(await world.deps.store.waiters()).toEqual([]);
    const [record] = await world.deps.store.history('orders-api');
    expect(record).toEqual(
      expect.objectContaining({ environment: 'ppe', region: 'eu-west-1', outcome: 'succeeded', exitCode: 0 }),
    );
  });

  it('when the task exits non-zero, the step fails with the exit code, the stop reason and the last log lines', async () => {
    // Prepare
    world.result = {
      exitCode: 3,
      output: ['Migrating 002_add_column', 'ERROR: column "total" already exists'],
    };
    await runMigrations(world.request, world.deps);

    // Act
    await taskStops();

    // Assess
    const [delivery] = world.executions.deliveries;
    expect(delivery).toEqual(expect.objectContaining({ kind: 'failure', error: MIGRATION_FAILED }));
    expect(delivery!.cause).toContain('migration in ppe/eu-west-1 exited with code 3');
    expect(delivery!.cause).toContain('EssentialContainerExited: Essential container in task exited');
    expect(delivery!.cause).toContain('nothing was deployed');
    expect(delivery!.cause).toContain('ERROR: column "total" already exists');
    expect(
      await world.deps.store.succeeded({
        service: 'orders-api',
        environment: 'ppe',
        region: 'eu-west-1',
        digest: base.image.digest,
      }),
    ).toBeUndefined();
  });

  it('when the step is retried while its task runs, it finds that task instead of starting a second', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);

    // Act
    const retry = await runMigrations({ ...world.request, taskToken: 'token-retry' }, world.deps);
    await taskStops();

    // Assess
    expect(world.tasks.started).toHaveLength(1);
    expect(retry).toEqual(
      expect.objectContaining({ status: 'running', taskArn: world.tasks.started[0]!.taskArn }),
    );
    expect(world.executions.deliveries.map((d) => d.taskToken)).toEqual(['token-retry']);
  });

  it('when the step is retried after its task stopped (the event found the old token), it settles at once', async () => {
    // Prepare: the task stops, but its event is lost.
    await runMigrations(world.request, world.deps);
    await new Promise((resolve) => setImmediate(resolve));
    await world.clock.advance(20_000);
    world.events.length = 0;

    // Act
    const retry = await runMigrations({ ...world.request, taskToken: 'token-retry' }, world.deps);

    // Assess
    expect(retry.status).toBe('settled');
    expect(world.tasks.started).toHaveLength(1);
    expect(world.executions.deliveries).toEqual([
      expect.objectContaining({ taskToken: 'token-retry', kind: 'success' }),
    ]);
  });

  it('when the stopped event is lost, the sweep settles the step', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);
    await new Promise((resolve) => setImmediate(resolve));
    await world.clock.advance(20_000);
    world.events.length = 0;

    // Act
    const settlements = await sweepMigrationWaiters(world.deps);

    // Assess
    expect(settlements).toEqual([expect.objectContaining({ outcome: 'succeeded', delivered: true })]);
    expect(world.executions.deliveries).toEqual([
      expect.objectContaining({ taskToken: world.request.taskToken, kind: 'success' }),
    ]);
  });

  it('when a redrive runs the step again, it starts a new task (the database may have been fixed)', async () => {
    // Prepare
    world.result = { exitCode: 1, output: ['lock timeout'] };
    await runMigrations(world.request, world.deps);
    await taskStops();
    world.result = { exitCode: 0, output: ['Done'] };

    // Act
    await runMigrations({ ...world.request, taskToken: 'token-redrive', redriveCount: 1 }, world.deps);
    await taskStops();

    // Assess
    expect(world.tasks.started).toHaveLength(2);
    expect(world.tasks.started[1]!.startedBy).toMatch(/\/r1$/);
    expect(world.executions.deliveries.map((d) => d.kind)).toEqual(['failure', 'success']);
  });

  it('when this digest already migrated in this environment and region, it continues without a task', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);
    await taskStops();

    // Act
    const again = await runMigrations(
      { ...world.request, executionName: `${world.request.executionName}-b`, taskToken: 'token-b' },
      world.deps,
    );

    // Assess
    expect(again).toEqual(
      expect.objectContaining({ status: 'already-migrated', by: world.request.executionName }),
    );
    expect(world.tasks.started).toHaveLength(1);
    expect(world.executions.deliveries[1]).toEqual(
      expect.objectContaining({
        taskToken: 'token-b',
        kind: 'success',
        output: expect.objectContaining({ outcome: 'already-migrated' }),
      }),
    );
  });

  it('when the plan runs, it runs the plan command and never counts as a migration', async () => {
    // Prepare
    world.result = { exitCode: 0, output: ['Pending: 002_add_total'] };

    // Act
    await runMigrations({ ...world.request, kind: 'plan' }, world.deps);
    await taskStops();

    // Assess
    expect(world.tasks.started[0]!.command).toEqual(['npm', 'run', 'plan']);
    expect(world.executions.deliveries[0]!.output).toEqual(
      expect.objectContaining({ kind: 'plan', output: ['Pending: 002_add_total'] }),
    );
    expect(
      await world.deps.store.succeeded({
        service: 'orders-api',
        environment: 'ppe',
        region: 'eu-west-1',
        digest: base.image.digest,
      }),
    ).toBeUndefined();
  });

  it('when an event names a task the waiter did not start, it changes nothing', async () => {
    // Prepare
    await runMigrations(world.request, world.deps);
    const startedBy = migrationStartedBy({
      kind: 'migrate',
      executionName: world.request.executionName,
      environment: 'ppe',
      region: 'eu-west-1',
      digest: base.image.digest,
      attempt: 0,
    });

    // Act
    const settlement = await onMigrationTaskStopped(
      {
        taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/ppe/other',
        lastStatus: 'STOPPED',
        startedBy,
        exitCode: 0,
      },
      world.deps,
    );

    // Assess
    expect(settlement.outcome).toBe('unknown');
    expect(world.executions.deliveries).toEqual([]);
  });
});
