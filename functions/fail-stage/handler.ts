import * as z from 'zod';
import type { ApprovalStore } from '../../shared/approvals/ports';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { DynamoDeploymentLocks } from '../../shared/aws/deployment-locks.adapter';
import { DynamoDeploymentRecords } from '../../shared/aws/deployment-records.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { ERROR_NAMES } from '../../shared/domain/errors';
import type { DeploymentRecordStore } from '../../shared/domain/deployment-record';
import type { DeploymentLocks } from '../../shared/domain/ports';
import { lambdaStep, logger } from '../../shared/middleware/lambda-step';
import { stageStoppedNotification } from '../../shared/notifications/notification';
import { notifyQuietly } from '../../shared/notifications/notify-quietly';
import type { Notifier } from '../../shared/notifications/ports';
import { stageRecord } from '../../shared/use-cases/deployment-records';
import {
  failStage,
  failureDetail,
  failureOutcome,
  releasesLockOnFailure,
  StageFailedError,
} from '../../shared/use-cases/fail-stage';
import { releaseStageLock } from '../../shared/use-cases/stage-lock';
import {
  deploymentResultSchema,
  imageRefSchema,
  stageSchema,
  triggerSchema,
} from '../../shared/use-cases/stage-run.schema';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { awsNotifier } from '../../shared/wiring/notifier';

const failure = z.object({ Error: z.string().min(1), Cause: z.string().optional() });
const failStageSchema = z.object({
  state: z.object({
    failure,
    failedAt: z.object({ redriveCount: z.number().int().min(0) }),
    rollback: z.object({ summary: z.string(), rolledBack: z.boolean().optional() }).optional(),
    rollbackFailure: failure.optional(),
    deployment: deploymentResultSchema.optional(),
  }),
  executionName: z.string().min(1).max(80),
  trigger: triggerSchema,
  service: z.string().min(1),
  version: z.string().min(1),
  commit: z.string().min(1),
  image: imageRefSchema,
  stage: stageSchema,
  redriveCount: z.number().int().min(0),
});

/**
 * "Stop the stage": fails the execution with the stage's error (recording how the stage ended, telling the
 * notification channels, and freeing the environment's deployment lock first when the rollback is done; a
 * failed rollback keeps it), or resumes the stage after a redrive. A notification that cannot be delivered
 * is logged and changes nothing else.
 */
export function createFailStage(deps: {
  locks: DeploymentLocks;
  approvals: ApprovalStore;
  records: DeploymentRecordStore;
  clock: Clock;
  notifications: Notifier;
}) {
  return async (event: unknown) => {
    const input = failStageSchema.parse(event);
    try {
      return failStage(input.state, input.redriveCount);
    } catch (error) {
      if (input.state.failure.Error === ERROR_NAMES.approvalExpired) await expireApproval(input, deps);
      const outcome = failureOutcome(input.state);
      // A rejection was recorded with who rejected it when it was decided.
      if (outcome !== 'rejected') {
        const run = { ...input, deployment: input.state.deployment };
        await deps.records.put(stageRecord(run, outcome, deps.clock.now(), failureDetail(input.state)));
      }
      if (releasesLockOnFailure(input.state)) await releaseStageLock(input, false, deps);
      // Last, so a retry of the bookkeeping above (a throttled lock release) does not notify twice.
      if (error instanceof StageFailedError) await notifyStopped(input, error, deps.notifications);
      throw error;
    }
  };
}

/** One notification per stopped stage: rolled back when the rollback restored the previous revision. */
async function notifyStopped(
  input: z.infer<typeof failStageSchema>,
  error: StageFailedError,
  notifications: Notifier,
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
  await notifyQuietly(notifications, notification, logger);
}

/** The approval's task timed out: its record says so, and its links show "expired" from now on. */
async function expireApproval(
  input: { executionName: string; stage: { environment: string; region: string } },
  deps: { approvals: ApprovalStore; clock: Clock },
): Promise<void> {
  const record = await deps.approvals.byStage(
    input.executionName,
    input.stage.environment,
    input.stage.region,
  );
  if (record?.status === 'pending')
    await deps.approvals.markExpired(record.approvalId, { at: deps.clock.now(), reason: 'timed-out' });
}

export const handler = lambdaStep('fail-stage', () =>
  createFailStage({
    locks: new DynamoDeploymentLocks({ table: lambdaPipelineTable() }),
    approvals: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    records: new DynamoDeploymentRecords({ table: lambdaPipelineTable() }),
    clock: systemClock,
    notifications: awsNotifier(),
  }),
);
