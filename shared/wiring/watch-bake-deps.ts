import { DynamoBakeWatchStore } from '../aws/bake-watches.adapter';
import { CloudWatchAlarmSource } from '../aws/cloudwatch-alarms.adapter';
import { StepFunctionsExecutionControl } from '../aws/step-functions.adapter';
import { systemClock } from '../clock';
import type { WatchBakeDeps } from '../use-cases/watch-bake';
import { lambdaPipelineTable } from './aws-clients';

/** The adapters the bake's watchers share (the "Bake" step, the alarm event, the sweep). */
export function awsWatchBakeDeps(): WatchBakeDeps {
  return {
    watches: new DynamoBakeWatchStore({ table: lambdaPipelineTable() }),
    alarms: new CloudWatchAlarmSource(),
    executions: new StepFunctionsExecutionControl(),
    clock: systemClock,
  };
}
