import {
  triggeredBy,
  type DeploymentRecord,
  type RecordKind,
  type RecordOutcome,
  type RecordedTrigger,
} from '../domain/deployment-record';
import type { StageRun } from '../domain/stage-run.schema';

/** The record of a stage run reaching `outcome`, with what the run knows about itself. */
export function stageRecord(
  run: Pick<
    StageRun,
    'executionName' | 'service' | 'version' | 'commit' | 'image' | 'stage' | 'deployment'
  > & {
    trigger: RecordedTrigger;
  },
  outcome: RecordOutcome,
  at: number,
  detail?: string,
): DeploymentRecord {
  return {
    service: run.service,
    environment: run.stage.environment,
    region: run.stage.region,
    version: run.version,
    commit: run.commit,
    digest: run.image.digest,
    registry: run.image.registry,
    repository: run.image.repository,
    ...(run.deployment && {
      taskDefinitionArn: run.deployment.taskDefinitionArn,
      startedAt: run.deployment.startedAt,
    }),
    execution: run.executionName,
    kind: kindOf(run.trigger, outcome),
    outcome,
    triggeredBy: triggeredBy(run.version, run.trigger),
    triggeredAt: run.trigger.at,
    ...(run.trigger.commitAt && { commitAt: run.trigger.commitAt }),
    at,
    ...(detail && { detail }),
  };
}

function kindOf(trigger: RecordedTrigger, outcome: RecordOutcome): RecordKind {
  if (outcome === 'superseded') return 'skip';
  if (outcome === 'already running') return 'record';
  if (outcome === 'approved' || outcome === 'rejected' || outcome === 'approval expired') return 'approval';
  return trigger.rollbackBy ? 'rollback' : 'deploy';
}
