import type { ApprovalNotifier } from '../../shared/ports/approvals';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { systemClock } from '../../shared/clock';
import { EmailApprovalNotifier } from '../../shared/approvals/email/email-notifier';
import { SignedLinkSigner } from '../../shared/approvals/email/signed-link-signer';
import { SecretSigningKeySource } from '../../shared/approvals/links/secret-signing-keys';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { SesMailer } from '../../shared/aws/ses-mailer.adapter';
import { DynamoStageEvidenceStore } from '../../shared/aws/stage-evidence.adapter';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { PipelineMisconfiguredError } from '../../shared/domain/errors';
import { logger, lambdaStep } from '../../shared/middleware/lambda-step';
import { lambdaPipelineTable } from '../../shared/wiring/aws-clients';
import {
  requestStageApproval,
  type RequestStageApprovalDeps,
} from '../../shared/use-cases/request-stage-approval';
import { awsNotifier } from '../../shared/wiring/notifier';
import { awsMigrationStore } from '../../shared/wiring/run-migrations-deps';
import { requestApprovalSchema } from './request-approval.schema';

/**
 * "Wait for approval" (callback): records the request, tells the approvers and announces that it waits;
 * the decision resumes it.
 */
export function createRequestApproval(deps: Omit<RequestStageApprovalDeps, 'log'>) {
  return async (event: unknown) =>
    requestStageApproval(requestApprovalSchema.parse(event), { ...deps, log: logger });
}

export const handler = lambdaStep('request-approval', () =>
  createRequestApproval({
    store: new DynamoApprovalStore({ table: lambdaPipelineTable() }),
    notifier: awsEmailNotifier(),
    clock: systemClock,
    evidence: new DynamoStageEvidenceStore({ table: lambdaPipelineTable() }),
    notifications: awsNotifier(),
    migrations: awsMigrationStore(),
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
