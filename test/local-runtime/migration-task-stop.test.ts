import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalContainerPlatform } from '../../local-runtime/adapters/local-container-platform';
import { processMigrationRunner } from '../../local-runtime/adapters/local-migration-process';
import { LocalMigrationTasks } from '../../local-runtime/adapters/local-migrations';
import { startLocalDynamo, type LocalDynamo } from '../../local-runtime/dynalite-server';
import { DynamoMigrationStore } from '../../shared/aws/migration-store.adapter';
import { createPipelineTable } from '../../shared/aws/pipeline-table';
import { ManualClock } from '../../shared/clock';
import { MIGRATION_TIMED_OUT } from '../../shared/domain/migrations';
import { targetOf } from '../../shared/use-cases/deploy-service';
import {
  runMigrations,
  type RunMigrationsDeps,
  type RunMigrationsRequest,
} from '../../shared/use-cases/run-migrations';
import { stopTimedOutMigration } from '../../shared/use-cases/stop-timed-out-migration';
import { RecordingExecutionControl } from '../support/fakes';
import { ppeStageRun } from '../support/fixtures';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { alive, until } from '../support/polling';

/**
 * StopTask on a local migration task whose command is a real child process: the timeout path of the
 * migration step ("Stop the migration that timed out", the real use case) ends the process as ECS ends a
 * container, SIGTERM and then SIGKILL after the stop timeout, and the stopped event says how it ended.
 */

jest.setTimeout(HANG_LIMIT_MS);

const OLD_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:' + '0'.repeat(64);
const MIGRATIONS = {
  command: ['npm', 'run', 'migrate'],
  planCommand: ['npm', 'run', 'plan'],
  timeoutSeconds: 600,
  approval: false,
};
/** A migration waiting on a lock forever: it says where it runs and waits. */
const WAITS = `require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid)); console.log('Migrating 001_orders (waiting for a lock)'); setInterval(() => {}, 1000);`;
/** The same, deaf to SIGTERM: only SIGKILL ends it. */
const IGNORES_SIGTERM = `process.on('SIGTERM', () => {}); ${WAITS}`;
/** The stop timeout of these tests' containers (real time): ECS's default is 30 s. */
const STOP_TIMEOUT_MS = 300;

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
}, 30_000);
afterAll(() => dynamo?.close());

describe('StopTask on a migration task whose process runs', () => {
  let n = 0;
  let dir: string;
  let clock: ManualClock;
  let platform: LocalContainerPlatform;
  let tasks: LocalMigrationTasks | undefined;
  let events: { detail: Record<string, unknown> }[];
  const base = ppeStageRun();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'migration-stop-'));
    events = [];
  });
  afterEach(() => {
    tasks?.stop();
    platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function stepTimesOutWhileRunning(script: string) {
    n++;
    await createPipelineTable(dynamo.client, `task-stop-${n}`);
    const request: RunMigrationsRequest = {
      ...base,
      executionName: `${base.executionName.slice(0, 60)}-k${n}`,
      stage: { ...base.stage, migrations: MIGRATIONS },
      taskToken: `token-${n}`,
      kind: 'migrate',
      redriveCount: 0,
    };
    clock = new ManualClock(Date.UTC(2026, 10, 30, 9, 0));
    platform = new LocalContainerPlatform({ clock, deploymentMs: 90_000 });
    platform.seedService(targetOf(base), { name: 'app', image: OLD_IMAGE });
    const pidFile = join(dir, 'pid');
    const run = processMigrationRunner({
      cwd: dir,
      baseEnvironment: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      environment: () => ({ PID_FILE: pidFile }),
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
    tasks = new LocalMigrationTasks({
      clock,
      platform,
      // The service's migrate command, as a process that waits on its lock.
      runner: (context) => run({ ...context, command: [process.execPath, '-e', script] }),
      onTaskStopped: (event) => events.push(event as { detail: Record<string, unknown> }),
    });
    const deps: RunMigrationsDeps = {
      platform,
      tasks,
      store: new DynamoMigrationStore({ client: dynamo.client, tableName: `task-stop-${n}` }),
      executions: new RecordingExecutionControl(),
      clock,
    };
    const step = await runMigrations(request, deps);
    if (step.status === 'already-migrated') throw new Error('the step should have started a task');
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the process to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await clock.advance(600_000);
    return { request, deps, pid, taskArn: step.taskArn };
  }

  it.each([
    { how: 'ends on SIGTERM', script: WAITS, exitCode: 143 },
    { how: 'ignores SIGTERM and is killed after the stop timeout', script: IGNORES_SIGTERM, exitCode: 137 },
  ])(
    'when the step times out and its process $how, the process is gone, the task stopped with exit code $exitCode, and the step records timed-out',
    async ({ script, exitCode }) => {
      // Prepare
      const { request, deps, pid, taskArn } = await stepTimesOutWhileRunning(script);
      const aliveBefore = alive(pid);

      // Act
      const failure = await stopTimedOutMigration(request, deps);
      await until(() => events.length > 0, 'the stopped event');

      // Assess
      expect(aliveBefore).toBe(true);
      expect(alive(pid)).toBe(false);
      expect(failure.Error).toBe(MIGRATION_TIMED_OUT);
      expect(failure.Cause).toContain(`the pipeline stopped task ${taskArn}`);
      const reason = `pipeline: migration step timed out after 600 s (${request.executionName})`;
      expect(await deps.tasks.describeTask(targetOf(base), taskArn)).toEqual(
        expect.objectContaining({
          lastStatus: 'STOPPED',
          stopCode: 'UserInitiated',
          stoppedReason: reason,
          exitCode,
        }),
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.detail).toEqual(
        expect.objectContaining({
          lastStatus: 'STOPPED',
          stopCode: 'UserInitiated',
          stoppedReason: reason,
          containers: [expect.objectContaining({ exitCode })],
        }),
      );
      expect(
        await deps.tasks.logTail(targetOf(base), { taskArn, taskDefinitionArn: '', container: 'app' }, 5),
      ).toEqual(['Migrating 001_orders (waiting for a lock)']);
      expect(await deps.store.history('orders-api')).toEqual([
        expect.objectContaining({ kind: 'migrate', outcome: 'timed-out', taskArn }),
      ]);
    },
  );
});
