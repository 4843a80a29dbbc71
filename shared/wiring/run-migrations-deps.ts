import { EcsContainerPlatform } from '../aws/ecs.adapter';
import { DynamoMigrationStore } from '../aws/migration-store.adapter';
import { EcsMigrationTasks } from '../aws/migration-tasks.adapter';
import { StepFunctionsExecutionControl } from '../aws/step-functions.adapter';
import { systemClock } from '../clock';
import type { RunMigrationsDeps, SettleMigrationDeps } from '../use-cases/run-migrations';
import { lambdaPipelineTable } from './aws-clients';

/** The migration waiters and records in the pipeline table. */
export function awsMigrationStore(): RunMigrationsDeps['store'] {
  return new DynamoMigrationStore({ table: lambdaPipelineTable() });
}

/** "Plan migrations" / "Run migrations": registers the revision, runs the task, parks the token. */
export function awsRunMigrationsDeps(): RunMigrationsDeps {
  return {
    platform: new EcsContainerPlatform(),
    tasks: new EcsMigrationTasks(),
    store: awsMigrationStore(),
    executions: new StepFunctionsExecutionControl(),
    clock: systemClock,
  };
}

/** The task event's target and the sweep: read the task and its log, answer the token. */
export function awsSettleMigrationDeps(): SettleMigrationDeps {
  return {
    tasks: new EcsMigrationTasks(),
    store: awsMigrationStore(),
    executions: new StepFunctionsExecutionControl(),
    clock: systemClock,
  };
}

/** The sweep's share: the tasks and the waiters (it has its own Step Functions client and clock). */
export function awsSweepMigrationDeps(): Pick<SettleMigrationDeps, 'tasks' | 'store'> {
  return { tasks: new EcsMigrationTasks(), store: awsMigrationStore() };
}
