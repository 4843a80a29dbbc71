import type { ApprovalNotifier } from '../ports/approvals';
import {
  requestApproval,
  type RequestApprovalDeps,
  type RequestApprovalResult,
} from '../approvals/request-approval';
import type { StageEvidenceStore } from '../ports/deployment';
import type { MigrationStore } from '../ports/migrations';
import { describeMigrationPlan } from './run-migrations';
import type { Stage } from '../domain/stage';
import type { StageRun } from '../domain/stage-run.schema';
import { announcingApprovals } from '../notifications/approval-announcer';
import type { NotificationLog } from '../notifications/notify-quietly';
import type { Notifier } from '../ports/notifications';
import { describeEvidence } from './complete-stage';

/** A stage run waiting at "Wait for approval": the task's token and a stage with an approval policy. */
export type StageAwaitingApproval = Pick<
  StageRun,
  'executionName' | 'service' | 'version' | 'commit' | 'image'
> & {
  /** The `.waitForTaskToken` token of the waiting task. Secret: never displayed. */
  taskToken: string;
  stage: Stage & { approval: NonNullable<Stage['approval']> };
  trigger: { createdBy?: string };
};

export interface RequestStageApprovalDeps extends Omit<RequestApprovalDeps, 'newId'> {
  notifier: ApprovalNotifier;
  /** What the execution's earlier stages showed, for the approvers. */
  evidence: StageEvidenceStore;
  /** The pipeline's notification channels: told once that the approval waits (never with its links). */
  notifications: Notifier;
  /** Where an undelivered channel notification is logged (it changes nothing else). */
  log: NotificationLog;
  /** The plans of stages whose migrations need this approval (docs/migrations.md). */
  migrations?: Pick<MigrationStore, 'plan'>;
}

/**
 * Step "Wait for approval" (a callback: the decision resumes it).
 *
 * 1. Read what the execution's earlier stages showed (smoke checks, bake), for the approvers.
 * 2. Turn the stage's approval policy and the release into an approval request.
 * 3. Record it and tell the approvers ({@link requestApproval}: once per approval record, so a retried
 *    step does not notify twice), then announce on the pipeline's channels that it waits.
 */
export async function requestStageApproval(
  run: StageAwaitingApproval,
  deps: RequestStageApprovalDeps,
): Promise<RequestApprovalResult> {
  const policy = run.stage.approval;
  const earlier = await deps.evidence.list(run.executionName);
  const plan =
    run.stage.migrations?.approval && deps.migrations
      ? describeMigrationPlan(
          run.stage,
          await deps.migrations.plan(run.executionName, run.stage.environment, run.stage.region),
        )
      : undefined;
  const evidence = { ...describeEvidence(earlier), ...plan };
  const notifier = announcingApprovals(deps.notifier, deps.notifications, deps.log);
  return requestApproval(
    {
      taskToken: run.taskToken,
      executionName: run.executionName,
      service: run.service,
      version: run.version,
      commit: run.commit,
      digest: run.image.digest,
      environment: run.stage.environment,
      region: run.stage.region,
      approvers: policy.approvers,
      minApprovals: policy.minApprovals,
      allowSelfApproval: policy.allowSelfApproval,
      timeoutSeconds: policy.timeoutSeconds,
      ...(Object.keys(evidence).length > 0 && { evidence }),
      ...(run.stage.migrations?.approval && { migrates: true }),
      ...(run.trigger.createdBy && { createdBy: run.trigger.createdBy }),
    },
    { ...deps, notifier },
  );
}
