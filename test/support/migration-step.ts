/**
 * The world of a "Run migrations" use-case test (shared/use-cases/run-migrations.ts and its timeout,
 * stop-timed-out-migration.ts): orders-api's PPE on the local ECS, one-off tasks that run what the test's
 * runner answers, the real DynamoDB migration store on dynalite (one server a file, one table a test), a
 * manual clock, and the task-token deliveries recorded.
 */
import { startLocalDynamo, type LocalDynamo } from '../../local-runtime/dynalite-server';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import {
  LocalMigrationTasks,
  type LocalMigrationResult,
  type LocalMigrationRunner,
} from '../../local-runtime/adapters/local-migrations';
import { DynamoMigrationStore } from '../../shared/aws/migration-store.adapter';
import { createPipelineTable } from '../../shared/aws/pipeline-table';
import { ManualClock } from '../../shared/clock';
import { targetOf } from '../../shared/use-cases/deploy-service';
import type { RunMigrationsDeps, RunMigrationsRequest } from '../../shared/use-cases/run-migrations';
import { RecordingExecutionControl } from './fakes';
import { ppeStageRun } from './fixtures';

/** The image orders-api's PPE runs before the step: a revision without the new build's migrations. */
export const OLD_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64);
export const MIGRATIONS = {
  command: ['npm', 'run', 'migrate'],
  planCommand: ['npm', 'run', 'plan'],
  timeoutSeconds: 600,
  approval: false,
};

/** One dynalite for the test file (call at its top level): started before its tests, closed after. */
export function localDynamoForFile(): () => LocalDynamo {
  let dynamo: LocalDynamo | undefined;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  }, 30_000);
  afterAll(() => dynamo?.close());
  return () => {
    if (!dynamo) throw new Error('dynalite is not started: call localDynamoForFile() at the top level');
    return dynamo;
  };
}

export interface MigrationStep {
  clock: ManualClock;
  platform: LocalContainerPlatform;
  tasks: LocalMigrationTasks;
  executions: RecordingExecutionControl;
  deps: RunMigrationsDeps;
  /** The Task State Change events of the tasks that stopped, in order. */
  events: unknown[];
  /** The migrate step of the PPE stage run, with MIGRATIONS, redrive 0. */
  request: RunMigrationsRequest;
  /** Stops the local ECS and tasks (their timers). */
  stop(): void;
}

/**
 * A fresh world in table `table` of `dynamo`, the clock at 2026-11-30 09:00 UTC. `executionSuffix` and
 * `taskToken` make this test's execution its own.
 */
export async function migrationStep(
  dynamo: LocalDynamo,
  options: {
    table: string;
    executionSuffix: string;
    taskToken: string;
    runner: LocalMigrationRunner;
    /** How long a task takes, unless the runner says; LocalMigrationTasks' default when absent. */
    taskMs?: number;
  },
): Promise<MigrationStep> {
  await createPipelineTable(dynamo.client, options.table);
  const base = ppeStageRun();
  const request: RunMigrationsRequest = {
    ...base,
    executionName: `${base.executionName.slice(0, 60)}${options.executionSuffix}`,
    stage: { ...base.stage, migrations: MIGRATIONS },
    taskToken: options.taskToken,
    kind: 'migrate',
    redriveCount: 0,
  };
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 9, 0));
  const platform = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
  platform.seedService(targetOf(base), { name: 'app', image: OLD_IMAGE });
  const events: unknown[] = [];
  const tasks = new LocalMigrationTasks({
    clock,
    platform,
    runner: options.runner,
    onTaskStopped: (event) => events.push(event),
    ...(options.taskMs !== undefined && { taskMs: options.taskMs }),
  });
  const executions = new RecordingExecutionControl();
  const deps: RunMigrationsDeps = {
    platform,
    tasks,
    store: new DynamoMigrationStore({ client: dynamo.client, tableName: options.table }),
    executions,
    clock,
  };
  return {
    clock,
    platform,
    tasks,
    executions,
    deps,
    events,
    request,
    stop: () => {
      tasks.stop();
      platform.stop();
    },
  };
}

/** A MigrationStep whose tasks run to `result`: set it in a test before its task runs. */
export interface MigrationStepWorld extends MigrationStep {
  result: LocalMigrationResult;
}

/**
 * A fresh MigrationStep for each test (call in the describe block): each test its own table (`table-n`),
 * execution (suffix `-executionSuffix` + n) and task token (`token-n`), so the records of one never answer
 * another; stopped after the test. Its tasks answer `result`, which each test starts from `options.result`.
 */
export function migrationStepPerTest(
  dynamo: () => LocalDynamo,
  options: { table: string; executionSuffix: string; result: LocalMigrationResult; taskMs?: number },
): MigrationStepWorld {
  const world = {} as MigrationStepWorld;
  let n = 0;
  beforeEach(async () => {
    n++;
    world.result = structuredClone(options.result);
    Object.assign(
      world,
      await migrationStep(dynamo(), {
        table: `${options.table}-${n}`,
        executionSuffix: `-${options.executionSuffix}${n}`,
        taskToken: `token-${n}`,
        runner: async () => world.result,
        ...(options.taskMs !== undefined && { taskMs: options.taskMs }),
      }),
    );
  });
  afterEach(() => world.stop());
  return world;
}
