import type { ApprovalStore } from '../ports/approvals';
import type { Clock } from '../clock';
import type { DeploymentLocks, DeploymentRecordStore, StageRecordStore } from '../ports/deployment';
import { bakeBreachOf, bakeElapsedMs, formatSpan } from '../domain/bake-breach';
import type { DeploymentRecord, RecordOutcome } from '../domain/deployment-record';
import { ERROR_NAMES, PipelineError } from '../domain/errors';
import { readableCause } from '../domain/failure-cause';
import type { CaughtFailure, FailedStageState, StageRun } from '../domain/stage-run.schema';
import { stageStoppedNotification } from '../notifications/notification';
import { notifyQuietly, type NotificationLog } from '../notifications/notify-quietly';
import type { Notifier } from '../ports/notifications';
import { stageRecord } from './deployment-records';
import { releaseStageLock } from './stage-lock';

export type StageResume = { resumeFrom: 'deploy' | 'rollback'; reason: string };

/**
 * Errors "Stop the stage" itself retries (a Lambda service hiccup while it runs). Failing the stage under
 * one of these names would make the state machine retry the verdict five times.
 */
const RETRIED_BY_STOP_THE_STAGE = new Set([
  // A stage that failed because AWS stayed throttled: its verdict would be retried as if the lock release
  // had been throttled, recording and notifying the failure once per retry.
  'AwsTransientError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
]);

/**
 * Thrown to fail the execution; its name is the original error's, so Catch/alerts can match it, except
 * for the errors "Stop the stage" retries (AwsTransientError, Lambda service errors): those become
 * RetriesExhausted, the original named in the message.
 */
export class StageFailedError extends PipelineError {
  constructor(errorName: string, message: string) {
    const retried = RETRIED_BY_STOP_THE_STAGE.has(errorName);
    super(retried && !message.startsWith(errorName) ? `${errorName} after every retry: ${message}` : message);
    this.name = retried ? ERROR_NAMES.retriesExhausted : errorName;
  }
}

export const ROLLBACK_FAILED = 'RollbackFailed';

/** What "Stop the stage" receives: the stage run, what its failure left in `state`, and the redrive count now. */
export type StoppedStage = Pick<
  StageRun,
  'executionName' | 'trigger' | 'service' | 'version' | 'commit' | 'image' | 'stage'
> & { state: FailedStageState; redriveCount: number };

export interface StopStageDeps {
  locks: DeploymentLocks;
  approvals: ApprovalStore;
  records: DeploymentRecordStore;
  /** Where the deploy noted the revision it sent to ECS (a record without the deploy's result names it). */
  stageRecords: Pick<StageRecordStore, 'deployedRevision'>;
  clock: Clock;
  notifications: Notifier;
  /** Where an undelivered notification is logged (it changes nothing else). */
  log: NotificationLog;
}

/**
 * Step "Stop the stage", the last step of a failed stage. Why a Lambda and not a Fail state: Step
 * Functions redrives an execution from the state that failed, and a Fail state would only fail again.
 *
 * 1. Redriven since the failure: return where the stage resumes (the deploy when the rollback had
 *    succeeded, the rollback when it had not). Nothing else happens.
 * 2. Otherwise the stage fails for good. An approval that timed out is marked expired (its links say so).
 * 3. Record how the stage ended (a rejection was recorded with who rejected it when it was decided), with
 *    the revision it deployed, read from the stage record when the deploy step's result was lost.
 * 4. Free the environment's deployment lock, unless the rollback failed (see {@link releasesLockOnFailure}).
 * 5. Tell the notification channels, last, so a retry of the bookkeeping above does not notify twice.
 * 6. Fail the execution with the original error and the rollback's summary, so the execution reads
 *    "SmokeTestFailed: … (rolled back: …)".
 */
export async function stopStage(input: StoppedStage, deps: StopStageDeps): Promise<StageResume> {
  try {
    return stoppedStageVerdict(input.state, input.redriveCount);
  } catch (error) {
    if (input.state.failure.Error === ERROR_NAMES.approvalExpired) await expireApproval(input, deps);
    const outcome = failureOutcome(input.state);
    if (outcome !== 'rejected') {
      const run = { ...input, deployment: input.state.deployment };
      const record = stageRecord(run, outcome, deps.clock.now(), failureDetail(input.state));
      const sent = record.taskDefinitionArn ? undefined : await revisionSentToEcs(input, outcome, deps);
      await deps.records.put({
        ...record,
        ...(sent && { taskDefinitionArn: sent }),
        ...bakeTiming(input.state),
      });
    }
    if (releasesLockOnFailure(input.state)) await releaseStageLock(input, false, deps);
    if (error instanceof StageFailedError) await notifyStopped(input, error, deps);
    throw error;
  }
}

/**
 * The revision a stage sent to ECS when its deploy step never returned it (the Lambda died after
 * UpdateService and its retries failed): read from the stage record the deploy wrote before the call, so a
 * record of a failed rollback names the revision that may still run.
 */
async function revisionSentToEcs(
  input: Pick<StoppedStage, 'executionName' | 'stage'>,
  outcome: RecordOutcome,
  deps: Pick<StopStageDeps, 'stageRecords'>,
): Promise<string | undefined> {
  if (outcome !== 'rollback failed' && outcome !== 'rolled back') return undefined;
  return deps.stageRecords.deployedRevision({
    executionName: input.executionName,
    environment: input.stage.environment,
    region: input.stage.region,
  });
}

/** One notification per stopped stage: rolled back when the rollback restored the previous revision. */
async function notifyStopped(
  input: StoppedStage,
  error: StageFailedError,
  deps: Pick<StopStageDeps, 'notifications' | 'log'>,
): Promise<void> {
  const rolledBack = input.state.rollback?.rolledBack === true && !input.state.rollbackFailure;
  const notification = stageStoppedNotification({
    executionName: input.executionName,
    service: input.service,
    version: input.version,
    environment: input.stage.environment,
    region: input.stage.region,
    error: { name: error.name, message: error.message },
    rolledBack,
  });
  await notifyQuietly(deps.notifications, notification, deps.log);
}

/** The approval's task timed out: its record says so, and its links show "expired" from now on. */
async function expireApproval(
  input: Pick<StoppedStage, 'executionName' | 'stage'>,
  deps: Pick<StopStageDeps, 'approvals' | 'clock'>,
): Promise<void> {
  const record = await deps.approvals.byStage(
    input.executionName,
    input.stage.environment,
    input.stage.region,
  );
  if (record?.status === 'pending')
    await deps.approvals.markExpired(record.approvalId, { at: deps.clock.now(), reason: 'timed-out' });
}

/**
 * The verdict on a failed stage: where it resumes when the execution was redriven since the failure,
 * otherwise a {@link StageFailedError} with the original error's name and a one-line cause.
 */
export function stoppedStageVerdict(state: FailedStageState, currentRedriveCount: number): StageResume {
  if (currentRedriveCount > state.failedAt.redriveCount) {
    return state.rollbackFailure
      ? { resumeFrom: 'rollback', reason: 'redriven after a failed rollback: rolling back again first' }
      : { resumeFrom: 'deploy', reason: 'redriven after a rollback: deploying the stage again' };
  }
  if (state.rollbackFailure)
    throw new StageFailedError(
      ROLLBACK_FAILED,
      `${state.failure.Error} and then the rollback failed: ${describe(state.rollbackFailure)}. ` +
        'The service may run the new revision: check it, fix the cause and redrive to roll back again.',
    );
  throw new StageFailedError(state.failure.Error, failureDetail(state));
}

/** The gate held the stage before its deploy: there was nothing to roll back, so no rollback summary. */
function heldByGate(state: FailedStageState): boolean {
  return (
    state.failure.Error === ERROR_NAMES.deploymentFrozen ||
    state.failure.Error === ERROR_NAMES.outsideDeploymentWindow
  );
}

/** How the failed stage ended, for its deployment record. */
export function failureOutcome(state: FailedStageState): RecordOutcome {
  if (state.failure.Error === ERROR_NAMES.approvalRejected) return 'rejected';
  if (state.failure.Error === ERROR_NAMES.approvalExpired) return 'approval expired';
  if (state.rollbackFailure) return 'rollback failed';
  if (heldByGate(state)) return 'failed';
  return state.deployment || state.rollback ? 'rolled back' : 'failed';
}

/** The one-line cause a failed stage's record keeps. */
export function failureDetail(state: FailedStageState): string {
  if (heldByGate(state)) return describe(state.failure);
  const detail = state.rollback?.summary ?? describe(state.failure);
  const rollbackAt = rollbackStartedAt(state);
  const breach = bakeBreachOf(state.failure.Cause);
  if (!breach || rollbackAt === undefined || !state.rollback) return detail;
  return (
    `${detail}; rollback started at ${new Date(rollbackAt).toISOString()}, ` +
    `${formatSpan(rollbackAt - breach.alarmAt)} after the alarm`
  );
}

/** When the rollback of a failed stage started ("Record the failure" notes it), if it got that far. */
function rollbackStartedAt(state: FailedStageState): number | undefined {
  const at = state.failedAt.at === undefined ? Number.NaN : Date.parse(state.failedAt.at);
  return Number.isNaN(at) ? undefined : at;
}

/** What the record of a stage an alarm ended tells about the bake and the rollback. */
function bakeTiming(state: FailedStageState): Partial<DeploymentRecord> {
  const rollbackAt = state.rollback ? rollbackStartedAt(state) : undefined;
  const breach = bakeBreachOf(state.failure.Cause);
  return {
    ...(rollbackAt !== undefined && { rollbackStartedAt: rollbackAt }),
    ...(breach && {
      bakeBreach: {
        alarmName: breach.alarmName,
        alarmAt: breach.alarmAt,
        bakeStartedAt: breach.bakeStartedAt,
        bakeSeconds: breach.bakeSeconds,
        bakeElapsedMs: bakeElapsedMs(breach),
        detectedBy: breach.detectedBy,
      },
    }),
  };
}

/**
 * Whether a stage that fails for good frees its environment's deployment lock. Not when its rollback
 * failed: the service may still run the failed revision, or the rollback may still be rolling out, and
 * another execution deploying now would overlap it (and the operator's redrive would then roll back over
 * that newer deployment). The lock stays until that redrive rolls back, or its lease runs out.
 */
export function releasesLockOnFailure(state: Pick<FailedStageState, 'rollbackFailure'>): boolean {
  return state.rollbackFailure === undefined;
}

function describe(failure: CaughtFailure): string {
  return `${failure.Error}: ${readableCause(failure.Cause)}`;
}
