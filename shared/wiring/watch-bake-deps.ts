import { DynamoBakeWatchStore } from '../aws/bake-watches.adapter';
import { CloudWatchAlarmSource } from '../aws/cloudwatch-alarms.adapter';
import { StepFunctionsExecutionControl } from '../aws/step-functions.adapter';
import { systemClock } from '../clock';
import type { WatchBakeDeps } from '../use-cases/watch-bake';
import { lambdaPipelineTable } from './aws-clients';

/**
 * The bake watches in the pipeline table, which the "Bake" step, the alarm event and the sweep share. Each
 * function wires only the adapters it calls, so its bundle and its role hold no more.
 */
export function awsBakeWatches(): WatchBakeDeps['watches'] {
  return new DynamoBakeWatchStore({ table: lambdaPipelineTable() });
}

/** The "Bake" step: parks the token and reads the alarms once. */
export function awsWatchBakeDeps(): Pick<WatchBakeDeps, 'watches' | 'alarms' | 'clock'> {
  return { watches: awsBakeWatches(), alarms: new CloudWatchAlarmSource(), clock: systemClock };
}

/** The alarm event's target: answers the tokens of the bakes watching the alarm. */
export function awsSettleBakeDeps(): Pick<WatchBakeDeps, 'watches' | 'executions' | 'clock'> {
  return { watches: awsBakeWatches(), executions: new StepFunctionsExecutionControl(), clock: systemClock };
}
