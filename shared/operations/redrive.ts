import type { DeploymentFreezes, DeploymentOrder, DeploymentRecordStore } from '../ports/deployment';
import { targetKey, triggerKindOf, type DeploymentRecord } from '../domain/deployment-record';
import { isNewer } from '../use-cases/stage-lock';
import type { Clock } from '../clock';
import { viewExecution, type ExecutionInput } from './execution-view';
import type { ExecutionDetail, PipelineExecutions } from '../ports/operations';

/** Step Functions redrives an execution up to 14 days after it stopped. */
export const REDRIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

const REDRIVABLE_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** Why a redrive is refused. `overridable` refusals give way to `--force`; the others never do. */
export interface RedriveRefusal {
  reason: string;
  overridable: boolean;
}

export type RedriveOutcome =
  | { outcome: 'redriven'; execution: string; redriveDate: Date; forced: RedriveRefusal[] }
  | { outcome: 'refused'; execution: string; refusals: RedriveRefusal[] }
  | { outcome: 'not-found'; execution: string };

/**
 * Redrives a failed execution from its failed step, unless that would do harm or cannot work:
 * - only FAILED, TIMED_OUT and ABORTED executions, within 14 days of stopping, and not when Step Functions
 *   itself says NOT_REDRIVABLE;
 * - not when a stage it would run again is in an environment/region where a later execution has already
 *   deployed a newer version (`--force` goes ahead: the stage's lock then skips it as superseded, unless the
 *   release allows downgrades);
 * - not while an environment it would deploy to again is frozen (it would only wait at the gate, or fail).
 */
export async function redriveExecution(
  name: string,
  options: { force: boolean },
  deps: {
    executions: PipelineExecutions;
    records: DeploymentRecordStore;
    freezes: DeploymentFreezes;
    clock: Clock;
  },
): Promise<RedriveOutcome> {
  const execution = await deps.executions.find(name);
  if (!execution) return { outcome: 'not-found', execution: name };
  const refusals = await redriveRefusals(execution, deps);
  const blocking = refusals.filter((r) => !r.overridable || !options.force);
  if (blocking.length > 0) return { outcome: 'refused', execution: name, refusals };
  const { redriveDate } = await deps.executions.redrive(execution.executionArn);
  return { outcome: 'redriven', execution: name, redriveDate, forced: refusals };
}

export async function redriveRefusals(
  execution: ExecutionDetail,
  deps: {
    executions: PipelineExecutions;
    records: DeploymentRecordStore;
    freezes: DeploymentFreezes;
    clock: Clock;
  },
): Promise<RedriveRefusal[]> {
  const refusals: RedriveRefusal[] = [];
  if (!REDRIVABLE_STATUSES.has(execution.status))
    refusals.push({
      reason: `${execution.name} is ${execution.status}: only a FAILED, TIMED_OUT or ABORTED execution can be redriven`,
      overridable: false,
    });
  const stopped = execution.stopDate?.getTime();
  if (stopped !== undefined && deps.clock.now() - stopped > REDRIVE_WINDOW_MS)
    refusals.push({
      reason:
        `${execution.name} stopped on ${new Date(stopped).toISOString()}, more than 14 days ago: Step Functions ` +
        'no longer redrives it; start a new one (push or tag again, or pipeline rollback)',
      overridable: false,
    });
  if (execution.redriveStatus === 'NOT_REDRIVABLE' && REDRIVABLE_STATUSES.has(execution.status))
    refusals.push({
      reason: `Step Functions says ${execution.name} is not redrivable: ${execution.redriveStatusReason ?? 'no reason given'}`,
      overridable: false,
    });
  if (refusals.length > 0) return refusals;

  const view = viewExecution(execution, await deps.executions.history(execution.executionArn));
  const input = view.input as ExecutionInput & { trigger?: { kind?: string; at?: string } };
  if (!input.service || !input.version) return refusals;
  const mine = orderOf({ version: input.version, triggeredAt: input.trigger?.at, execution: execution.name });
  const running = new Map((await deps.records.running(input.service)).map((r) => [targetKey(r), r]));
  const again = view.stages.filter(
    (s) => s.outcome !== 'deployed' && s.outcome !== 'superseded' && s.outcome !== 'already running',
  );
  for (const environment of new Set(again.map((s) => s.environment))) {
    const freeze = await deps.freezes.current(environment, deps.clock.now());
    if (freeze)
      refusals.push({
        reason:
          `${environment} is frozen since ${new Date(freeze.at).toISOString()} by ${freeze.by}: ${freeze.reason}. ` +
          `Redrive once it is lifted (pipeline unfreeze ${environment})`,
        overridable: false,
      });
  }
  for (const stage of again) {
    const there = running.get(targetKey(stage));
    if (!there || there.execution === execution.name || !isNewer(orderOf(there), mine)) continue;
    refusals.push({
      reason:
        `${stage.environment}/${stage.region} runs ${there.version} since ${new Date(there.at).toISOString()} ` +
        `(${there.execution}), newer than ${input.version}: redriving would try to put the older version back ` +
        '(--force redrives anyway; the stage then skips as superseded unless the release allows downgrades)',
      overridable: true,
    });
  }
  return refusals;
}

/** How a record orders against others: tags by version, pushes by push time. */
function orderOf(
  record: Pick<DeploymentRecord, 'version' | 'execution'> & { triggeredAt?: string | undefined; at?: number },
): DeploymentOrder {
  return {
    kind: triggerKindOf(record.version),
    version: record.version,
    at: record.triggeredAt ?? new Date(record.at ?? 0).toISOString(),
    owner: record.execution,
  };
}
