/**
 * Deployment records: the audit trail of every deploy, rollback, approval decision and skip, and the source
 * of truth for "what runs where". Steps write them as stages end; operators read them (`pipeline status`,
 * `pipeline history`) and the redrive guard checks them before sending an older version anywhere.
 */

/**
 * Environment variables the pipeline sets on every container it deploys, so that what runs where can be
 * read from the service itself: its version (the KPIs' revision dimension), commit, execution and stage.
 */
export const DEPLOYED_ENV = {
  version: 'PIPELINE_VERSION',
  commit: 'PIPELINE_COMMIT',
  execution: 'PIPELINE_EXECUTION',
  /** `environment/region`: which stage registered the revision (environments may share a family). */
  stage: 'PIPELINE_STAGE',
} as const;

/**
 * What a record is about. A `rollback` is an operator's `pipeline rollback`, not a failed stage's. A
 * `record` names a version as running where its digest already ran (two tags on one commit): no deploy.
 */
export type RecordKind = 'deploy' | 'rollback' | 'approval' | 'skip' | 'record';

export type RecordOutcome =
  | 'deployed'
  | 'rolled back'
  | 'rollback failed'
  | 'failed'
  | 'superseded'
  | 'already running'
  | 'approved'
  | 'rejected'
  | 'approval expired';

export interface DeploymentRecord {
  service: string;
  environment: string;
  region: string;
  /** `sha-<commit>` or `vX.Y.Z`. */
  version: string;
  commit: string;
  digest: string;
  /** Where the image lives (`<account>.dkr.ecr.<region>.amazonaws.com`, repository), on deploy records. */
  registry?: string;
  repository?: string;
  /** The task definition revision the stage deployed, when it got that far. */
  taskDefinitionArn?: string;
  execution: string;
  kind: RecordKind;
  outcome: RecordOutcome;
  /** Who or what caused it, as a person reads it: `ECR push (event …)`, `tag v1.4.0 by …`, `rollback … by …`. */
  triggeredBy: string;
  /** When the push or tag that started it happened (ISO 8601): what orders two versions of a push. */
  triggeredAt?: string;
  /** Epoch ms when the deploy started, when there was one. */
  startedAt?: number;
  /** Epoch ms when the outcome was reached. */
  at: number;
  /** One line more: the failure's cause, the approver's comment, what superseded it. */
  detail?: string;
  /** On `already running` records: the version whose deploy put the digest there, and since when (epoch ms). */
  deployedAs?: string;
  runningSince?: number;
  /**
   * When the commit was made (ISO 8601), when the git event that started the release said so. Absent on
   * pushes and on records written before it existed: lead time then starts at the image push (docs/metrics.md).
   */
  commitAt?: string;
  /** When each part of the stage ended, on `deployed` records written since it exists (docs/metrics.md). */
  timeline?: StageTimeline;
  /** A bake ended by an alarm: which, when it fired, how far into the bake, and what noticed it. */
  bakeBreach?: {
    alarmName: string;
    /** Epoch ms the alarm went to ALARM, and the bake began. */
    alarmAt: number;
    bakeStartedAt: number;
    bakeSeconds: number;
    /** How much of the bake had passed when the alarm fired (ms; negative: before the bake began). */
    bakeElapsedMs: number;
    detectedBy: string;
  };
  /** Epoch ms the failed stage's rollback started. */
  rollbackStartedAt?: number;
}

/**
 * The marks a deployed stage passed, epoch ms, for "where the lead time goes". The stage ends at the
 * record's `at`. A mark is absent when the step that knows it did not say (an execution started before).
 */
export interface StageTimeline {
  /** The stage could start: the trigger, or the previous stage of the execution done. */
  readyAt: number;
  /** The deployment lock was taken (queued before it). */
  lockedAt?: number;
  /** The deployment gate was first found closed (the approval, if any, ended before it). */
  gateClosedAt?: number;
  /** The deployment gate was open (the deploy starts). */
  gateOpenedAt?: number;
  /** ECS reported the deployment complete. */
  deployedAt?: number;
  /** The bake began (the smoke checks ended). */
  bakeStartedAt?: number;
}

/** The trigger of a stage run, as far as records care. */
export interface RecordedTrigger {
  kind: 'push' | 'tag';
  at: string;
  createdBy?: string;
  eventId?: string;
  /** Set on executions started by `pipeline rollback`: who asked. */
  rollbackBy?: string;
  /** When the released commit was made (ISO 8601), when the tag event said. */
  commitAt?: string;
}

export function triggeredBy(version: string, trigger: RecordedTrigger): string {
  if (trigger.rollbackBy) return `rollback to ${version} by ${trigger.rollbackBy}`;
  if (trigger.kind === 'tag') return `tag ${version}${trigger.createdBy ? ` by ${trigger.createdBy}` : ''}`;
  return `ECR push${trigger.eventId ? ` (event ${trigger.eventId.slice(0, 8)})` : ''}`;
}

/** What a recorded version came from: `vX.Y.Z` from a tag, `sha-<commit>` from a push. */
export function triggerKindOf(version: string): 'push' | 'tag' {
  return /^v\d/.test(version) ? 'tag' : 'push';
}

/**
 * Only these change what runs: a rolled-back stage leaves the previous record in place, as ECS does. A
 * version recorded where its digest already ran is what runs there from then on (under its new name).
 */
export function changesWhatRuns(record: DeploymentRecord): boolean {
  return record.outcome === 'deployed' || record.outcome === 'already running';
}

/** The key one environment/region of a service is known by in tables and maps. */
export function targetKey(target: { environment: string; region: string }): string {
  return `${target.environment}#${target.region}`;
}
