/**
 * Errors that leave a Lambda step keep a stable `name`: Step Functions reports it as the error type, and
 * the state machines' Retry and Catch match on it. `ERROR_NAMES` is the one list the definitions may use;
 * a test checks that every name in `statemachines/` comes from here or from `States.*`.
 */
export const ERROR_NAMES = {
  deploymentFailed: 'DeploymentFailed',
  smokeTestFailed: 'SmokeTestFailed',
  alarmBreached: 'AlarmBreached',
  awsTransient: 'AwsTransientError',
  invalidStepInput: 'InvalidStepInput',
  misconfigured: 'PipelineMisconfigured',
  imageNotFound: 'ImageNotFound',
  releaseTagConflict: 'ReleaseTagConflict',
  downgradeRefused: 'DowngradeRefused',
  approvalRejected: 'ApprovalRejected',
  approvalExpired: 'ApprovalExpired',
  stageLocked: 'StageLocked',
  deploymentFrozen: 'DeploymentFrozen',
  outsideDeploymentWindow: 'OutsideDeploymentWindow',
  retriesExhausted: 'RetriesExhausted',
  reconciliationIncomplete: 'ReconciliationIncomplete',
  unsupportedDeploymentStrategy: 'UnsupportedDeploymentStrategy',
} as const;

/** Base for errors a state machine may catch: the cause is written for the operator who reads it. */
export abstract class PipelineError extends Error {}

/** The ECS deployment failed (circuit breaker, tasks not starting) or never completed in time. */
export class DeploymentFailedError extends PipelineError {
  override readonly name = ERROR_NAMES.deploymentFailed;
}

/** One or more smoke checks failed against the freshly deployed environment. */
export class SmokeTestFailedError extends PipelineError {
  override readonly name = ERROR_NAMES.smokeTestFailed;
}

/** A watched CloudWatch alarm was in ALARM during the bake. */
export class AlarmBreachedError extends PipelineError {
  override readonly name = ERROR_NAMES.alarmBreached;
}

/** AWS throttled us or failed on its side after the SDK's own retries: safe to try again later. */
export class AwsTransientError extends PipelineError {
  override readonly name = ERROR_NAMES.awsTransient;
}

/** The step received input it cannot act on: a bug or a hand-edited execution, never retried. */
export class InvalidStepInputError extends PipelineError {
  override readonly name = ERROR_NAMES.invalidStepInput;
}

/** The AWS resources do not match the configuration (missing container, service or alarm). */
export class PipelineMisconfiguredError extends PipelineError {
  override readonly name = ERROR_NAMES.misconfigured;
}

/**
 * The ECS service rolls out blue/green, linear or canary (or through CodeDeploy or an external controller),
 * which this pipeline does not drive yet; it refuses rather than send the service's hook roles and
 * traffic settings back half-understood. The message names the service and the strategy.
 */
export class UnsupportedDeploymentStrategyError extends PipelineError {
  override readonly name = ERROR_NAMES.unsupportedDeploymentStrategy;
}

/** The build never pushed `sha-<commit>` to the repository within the wait allowed for it. */
export class ImageNotFoundError extends PipelineError {
  override readonly name = ERROR_NAMES.imageNotFound;
}

/** The release tag already names another image in the repository (tags are immutable). */
export class ReleaseTagConflictError extends PipelineError {
  override readonly name = ERROR_NAMES.releaseTagConflict;
}

/** The tag is older than the version production runs and the event did not allow a downgrade. */
export class DowngradeRefusedError extends PipelineError {
  override readonly name = ERROR_NAMES.downgradeRefused;
}

/** An approver rejected the stage; the cause says who, when and why. */
export class ApprovalRejectedError extends PipelineError {
  override readonly name = ERROR_NAMES.approvalRejected;
}

/** Another execution holds the stage's deployment lock: retried until it is released. */
export class StageLockedError extends PipelineError {
  override readonly name = ERROR_NAMES.stageLocked;
}

/** The environment stayed frozen for longer than the stage may wait (freezeWaitHours); nothing was deployed. */
export class DeploymentFrozenError extends PipelineError {
  override readonly name = ERROR_NAMES.deploymentFrozen;
}

/** No deployment window opens within the stage's wait (freezeWaitHours); nothing was deployed. */
export class OutsideDeploymentWindowError extends PipelineError {
  override readonly name = ERROR_NAMES.outsideDeploymentWindow;
}

/** The reconciliation sweep could not check some services (the others were checked); the message names them. */
export class ReconciliationIncompleteError extends PipelineError {
  override readonly name = ERROR_NAMES.reconciliationIncomplete;
}
