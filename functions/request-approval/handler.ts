import * as z from 'zod';
import type { ApprovalNotifier, ApprovalStore } from '../../shared/approvals/ports';
import { requestApproval } from '../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { imageRefSchema, stageSchema } from '../../shared/use-cases/stage-run.schema';
import { pipelineTableName } from '../../shared/wiring/lambda-environment';

const requestApprovalSchema = z.object({
  taskToken: z.string().min(1).max(8192),
  executionName: z.string().min(1).max(80),
  service: z.string().min(1),
  version: z.string().min(1).max(255),
  commit: z.string().regex(/^[a-f0-9]{7,40}$/),
  image: imageRefSchema,
  stage: stageSchema.required({ approval: true }),
  trigger: z.object({ createdBy: z.string().max(256).optional() }).loose(),
});

export interface RequestApprovalStepDeps {
  store: ApprovalStore;
  notifier: ApprovalNotifier;
  clock: Clock;
}

/** "Wait for approval" (callback): records the request and tells the approvers; the decision resumes it. */
export function createRequestApproval(deps: RequestApprovalStepDeps) {
  return async (event: unknown) => {
    const input = requestApprovalSchema.parse(event);
    const policy = input.stage.approval;
    return requestApproval(
      {
        taskToken: input.taskToken,
        executionName: input.executionName,
        service: input.service,
        version: input.version,
        commit: input.commit,
        digest: input.image.digest,
        environment: input.stage.environment,
        region: input.stage.region,
        approvers: policy.approvers,
        minApprovals: policy.minApprovals,
        allowSelfApproval: policy.allowSelfApproval,
        timeoutSeconds: policy.timeoutSeconds,
        ...(input.trigger.createdBy && { createdBy: input.trigger.createdBy }),
      },
      deps,
    );
  };
}

/**
 * Until approval emails exist (SES, signed links and pages: the approvals issue), AWS records the request
 * and logs the approval id; nothing here pretends an approver was told.
 */
const logOnlyNotifier: ApprovalNotifier = {
  async notify(approval) {
    logger.warn('approval requested; approval emails are not configured in this version', {
      approvalId: approval.approvalId,
      approvers: approval.approvers,
    });
  },
};

export const handler = lambdaStep('request-approval', () =>
  createRequestApproval({
    store: new DynamoApprovalStore({ tableName: pipelineTableName() }),
    notifier: logOnlyNotifier,
    clock: systemClock,
  }),
);
