import type { RecordOutcome } from '../domain/deployment-record';
import { ERROR_NAMES, PipelineError } from '../domain/errors';
import { readableCause } from '../domain/failure-cause';
import type { CaughtFailure } from './roll-back-service';

/**
 * The last step of a failed stage. It fails the execution with the original error and the rollback's
 * summary, so the execution reads "SmokeTestFailed: … (rolled back: …)". Why a Lambda and not a Fail
 * state: Step Functions redrives an execution from the state that failed, and a Fail state would only
 * fail again. This step instead notices that the execution was redriven since the failure and lets the
 * stage resume: from the deploy when the rollback had succeeded, from the rollback when it had not.
 */
export interface FailedStageState {
  failure: CaughtFailure;
  /** Written by "Record the failure": the execution's redrive count when the stage failed. */
  failedAt: { redriveCount: number };
  rollback?: { summary: string };
  rollbackFailure?: CaughtFailure;
  /** Present when the deploy step got as far as updating the service. */
  deployment?: { taskDefinitionArn: string; startedAt: number };
}

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

export function failStage(state: FailedStageState, currentRedriveCount: number): StageResume {
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
  return state.rollback?.summary ?? describe(state.failure);
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
