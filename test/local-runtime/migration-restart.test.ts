import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { processMigrationRunner } from '../../local-runtime/adapters/local-migration-process';
import type {
  LocalMigrationContext,
  LocalMigrationResult,
} from '../../local-runtime/adapters/local-migrations';
import type { LocalState } from '../../local-runtime/data-dir/local-state';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { parseConfig } from '../../shared/config/config.loader';
import type { EcsTarget } from '../../shared/ports/deployment';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { expectMigrationStopped } from '../support/migration-task';
import { alive, until } from '../support/polling';

/**
 * A migration task running when the local stack stops (`pipeline local --data-dir`): ECS would keep its
 * container running, the local stand-in cannot keep a process across a restart. The closing stack ends the
 * process; the next start stops the task saying why, so the step fails at once with that cause (not at its
 * timeout), and a redrive runs the migration again in a new task.
 */

jest.setTimeout(HANG_LIMIT_MS);

const ROOT = join(__dirname, '..', '..');
const event = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const STAGING: EcsTarget = { region: 'eu-west-1', cluster: 'staging', service: 'orders-api' };

/** The sample configuration with migrations for orders-api, with a 10-minute timeout. */
function config() {
  const text = readFileSync(join(ROOT, 'pipeline.config.yml'), 'utf8').replace(
    '    gitRepository: example-org/orders-api\n',
    '    gitRepository: example-org/orders-api\n' +
      '    migrations:\n' +
      '      command: [npm, run, migrate]\n' +
      '      planCommand: [npm, run, migrate:plan]\n' +
      '      timeoutMinutes: 10\n' +
      '      taskRoles: [orders-api-prod-task, orders-api-prod-execution]\n',
  );
  return parseConfig(text, 'pipeline.config.yml');
}

let dataDir: string;
/** Where the migration process runs and writes its pid (the data directory holds only the stack's files). */
let workDir: string;
let pipeline: LocalPipeline | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'migration-restart-'));
  workDir = mkdtempSync(join(tmpdir(), 'migration-restart-work-'));
});
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

describe('a migration task running when the local stack restarts', () => {
  it('when the stack restarts during the staging migration, the step fails at once saying so, and a redrive migrates again', async () => {
    // Prepare: staging's migrate command is a real process that waits on a lock; plans answer at once.
    const pidFile = join(workDir, 'migration.pid');
    const waiting = processMigrationRunner({
      cwd: workDir,
      baseEnvironment: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` },
      environment: () => ({ PID_FILE: pidFile }),
      stopTimeoutMs: 300,
    });
    const script = `require('node:fs').writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000);`;
    /** Staging's migrate tasks that ran to their end. */
    const migrated: string[] = [];
    const quick = async (context: LocalMigrationContext): Promise<LocalMigrationResult> => {
      if (context.target.cluster === 'staging' && !context.command.includes('migrate:plan'))
        migrated.push(context.taskArn);
      return { exitCode: 0, output: ['migrations complete'] };
    };
    const first = await LocalPipeline.start({
      config: config(),
      dataDir,
      migrationRunner: (context) =>
        context.command.includes('migrate:plan') || context.target.cluster !== 'staging'
          ? quick(context)
          : waiting({ ...context, command: [process.execPath, '-e', script] }),
    });
    await first.putEvent(event('ecr-push-orders-api.json'));
    await first.settled();
    await first.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the staging migration');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const [task] = first.migrationTasks.started.filter((t) => t.startedBy.includes('/staging/'));

    // Act
    await first.close({ abandon: true });
    const saved = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as LocalState;
    pipeline = await LocalPipeline.start({ config: config(), dataDir, migrationRunner: quick });
    const startedAt = pipeline.clock.now();
    pipeline.resume();
    await pipeline.settled();

    // Assess: the closing stack ended the process and saved the task as running
    expect(alive(pid)).toBe(false);
    expect(saved.migrationTasks?.find((t) => t.taskArn === task!.taskArn)).toEqual(
      expect.objectContaining({ lastStatus: 'RUNNING', exitCode: 143 }),
    );
    const releases = await pipeline.engine.listExecutions({
      stateMachineArn: pipeline.stateMachineArns.release,
    });
    const release = await pipeline.engine.describeExecution({
      executionArn: releases.executions[0]!.executionArn,
    });
    expect(release.status).toBe('FAILED');
    expect(release.error).toBe('MigrationFailed');
    expect(release.cause).toContain('local stack restarted');
    // At once, not at the step's 10-minute timeout.
    expect(release.stopDate!.getTime() - startedAt).toBeLessThan(10 * 60_000);
    await expectMigrationStopped(pipeline, {
      target: STAGING,
      environment: 'staging',
      taskArn: task!.taskArn,
      stopCode: 'TerminationNotice',
      stoppedReason: 'local stack restarted',
      outcome: 'failed',
      reason: 'TerminationNotice: local stack restarted',
    });
    expect(migrated).toEqual([]);

    // Act: the operator redrives
    await pipeline.engine.redriveExecution({ executionArn: release.executionArn });
    await pipeline.settled();

    // Assess: a new task migrates staging, and the release goes on
    const redriven = await pipeline.engine.describeExecution({ executionArn: release.executionArn });
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const staging = pipeline.migrationTasks.started.filter((t) => t.startedBy.includes('/staging/'));
    expect(staging).toHaveLength(1);
    expect(staging[0]!.taskArn).not.toBe(task!.taskArn);
    expect(migrated).toContain(staging[0]!.taskArn);
  });
});
