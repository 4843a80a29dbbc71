/**
 * What a migration task that was stopped leaves in a local pipeline, whoever stopped it (the pipeline at
 * the step's timeout, the local stack's restart): the task STOPPED with its stop code and reason, and the
 * stage's migration record naming the task.
 */
import type { LocalPipeline } from '../../local-runtime/local-pipeline';
import type { EcsTarget } from '../../shared/ports/deployment';
import type { MigrationRecord } from '../../shared/ports/migrations';

export interface StoppedMigration {
  /** Where the task ran, and the environment its record is of. */
  target: EcsTarget;
  environment: string;
  taskArn: string;
  stopCode: string;
  /** A part of the task's stoppedReason. */
  stoppedReason: string;
  outcome: MigrationRecord['outcome'];
  /** A part of the record's reason. */
  reason: string;
}

export async function expectMigrationStopped(
  pipeline: LocalPipeline,
  stopped: StoppedMigration,
): Promise<void> {
  expect(await pipeline.migrationTasks.describeTask(stopped.target, stopped.taskArn)).toEqual(
    expect.objectContaining({
      lastStatus: 'STOPPED',
      stopCode: stopped.stopCode,
      stoppedReason: expect.stringContaining(stopped.stoppedReason),
    }),
  );
  const [record] = (await pipeline.migrations.history(stopped.target.service)).filter(
    (r) => r.environment === stopped.environment,
  );
  expect(record).toEqual(
    expect.objectContaining({
      kind: 'migrate',
      outcome: stopped.outcome,
      taskArn: stopped.taskArn,
      reason: expect.stringContaining(stopped.reason),
    }),
  );
}
