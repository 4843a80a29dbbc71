import * as z from 'zod';
import type { ApprovalNotifier, ApprovalStore } from '../../shared/approvals/ports';
import { requestApproval } from '../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { systemClock, type Clock } from '../../shared/clock';
import { EmailApprovalNotifier } from '../../shared/approvals/email/email-notifier';
import { SignedLinkSigner } from '../../shared/approvals/email/signed-link-signer';
import { SecretSigningKeySource } from '../../shared/approvals/links/secret-signing-keys';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { SesMailer } from '../../shared/aws/ses-mailer.adapter';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import type { StageEvidenceStore } from '../../shared/domain/ports';
import { describeEvidence } from '../../shared/use-cases/complete-stage';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { imageRefSchema, stageSchema } from '../../shared/use-cases/stage-run.schema';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import { announcingApprovals } from '../../shared/notifications/approval-announcer';
import type { Notifier } from '../../shared/notifications/ports';
import { awsNotifier } from '../../shared/wiring/notifier';

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
  /** What the execution's earlier stages showed, for the approvers. */
  evidence: StageEvidenceStore;
  /** The pipeline's notification channels: told once that the approval waits (never with its links). */
  notifications: Notifier;
}

/**
 * "Wait for approval" (callback): records the request, tells the approvers and announces that it waits;
 * the decision resumes it.
 */
export function createRequestApproval(deps: RequestApprovalStepDeps) {
  const notifier = announcingApprovals(deps.notifier, deps.notifications, logger);
  return async (event: unknown) => {
    const input = requestApprovalSchema.parse(event);
    const policy = input.stage.approval;
    const earlier = await deps.evidence.list(input.executionName);
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
        ...(earlier.length > 0 && { evidence: describeEvidence(earlier) }),
        ...(input.trigger.createdBy && { createdBy: input.trigger.createdBy }),
      },
      { ...deps, notifier },
    );
  };
}

export const handler = lambdaStep('request-approval', () =>
  createRequestApproval({
    store: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    notifier: awsEmailNotifier(),
    clock: systemClock,
    evidence: new DynamoStageEvidenceStore({ table: lambdaPipelineTable() }),
    notifications: awsNotifier(),
  }),
);

/** Emails each approver signed Approve/Reject links through SES. */
function awsEmailNotifier(): ApprovalNotifier {
  const env = readRuntimeEnv([
    'APPROVAL_EMAIL_FROM',
    'APPROVAL_BASE_URL',
    'APPROVAL_LINK_KEY_SECRET_NAME',
    'APPROVAL_SES_CONFIGURATION_SET',
  ]);
  if (!env.APPROVAL_BASE_URL)
    throw new PipelineMisconfiguredError(
      "APPROVAL_BASE_URL is empty: approval emails need the approval pages' URL",
    );
  return new EmailApprovalNotifier({
    mailer: new SesMailer({
      from: env.APPROVAL_EMAIL_FROM,
      ...(env.APPROVAL_SES_CONFIGURATION_SET && { configurationSetName: env.APPROVAL_SES_CONFIGURATION_SET }),
    }),
    signer: new SignedLinkSigner({
      baseUrl: env.APPROVAL_BASE_URL,
      keys: new SecretSigningKeySource(new SecretsManagerSecretSource(), env.APPROVAL_LINK_KEY_SECRET_NAME),
    }),
    log: logger,
  });
}
