import { type DeploymentRecord, targetKey } from '../domain/deployment-record';
import type { DeploymentRecordStore } from '../ports/deployment';
import { ACTIVITY_OF_STATE, viewExecution, type Activity } from './execution-view';
import type { PipelineExecutions } from '../ports/operations';

/** One environment/region of one service, as `pipeline status` shows it. */
export interface TargetStatus {
  service: string;
  environment: string;
  region: string;
  /** What runs there, from the deployment records; null when the pipeline never deployed there. */
  running: Pick<
    DeploymentRecord,
    'version' | 'commit' | 'digest' | 'execution' | 'at' | 'triggeredBy'
  > | null;
  /** What an execution is doing there now. */
  inProgress: {
    execution: string;
    version: string | null;
    state: string;
    activity: Activity | 'finishing';
  } | null;
}

/**
 * What runs where and what is under way: the deployment records for the first, the running executions'
 * histories for the second. `targets` lists each service's environments/regions in promotion order.
 */
export async function pipelineStatus(
  targets: { service: string; environment: string; region: string }[],
  deps: { records: DeploymentRecordStore; executions: PipelineExecutions },
): Promise<TargetStatus[]> {
  const services = [...new Set(targets.map((t) => t.service))];
  const running = new Map<string, DeploymentRecord>();
  for (const service of services)
    for (const record of await deps.records.running(service))
      running.set(`${service}#${targetKey(record)}`, record);

  const inProgress = new Map<string, NonNullable<TargetStatus['inProgress']>>();
  for (const listed of await deps.executions.list({ status: 'RUNNING' })) {
    const execution = await deps.executions.describe(listed.executionArn);
    if (!execution) continue; // finished and gone between the two calls
    const view = viewExecution(execution, await deps.executions.history(execution.executionArn));
    for (const stage of view.stages) {
      if (stage.outcome !== 'in progress' || !view.summary.service) continue;
      const state = stage.current ?? '';
      inProgress.set(`${view.summary.service}#${targetKey(stage)}`, {
        execution: execution.name,
        version: view.summary.version,
        state,
        activity: ACTIVITY_OF_STATE[state] ?? 'finishing',
      });
    }
  }

  return targets.map((target) => {
    const key = `${target.service}#${targetKey(target)}`;
    const record = running.get(key);
    return {
      ...target,
      running: record
        ? {
            version: record.version,
            commit: record.commit,
            digest: record.digest,
            execution: record.execution,
            at: record.at,
            triggeredBy: record.triggeredBy,
          }
        : null,
      inProgress: inProgress.get(key) ?? null,
    };
  });
}
