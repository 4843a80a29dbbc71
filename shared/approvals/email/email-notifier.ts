import { AwsTransientError, PipelineMisconfiguredError } from '../../domain/errors';
import { sameApprover, type ApprovalView } from '../approval';
import type { ApprovalNotifier, LinkSigner, Mailer } from '../../ports/approvals';
import { renderApprovalEmail } from './approval-email';

/** Where the notifier reports approvers it could not email (Powertools' logger fits). */
export interface NotifierLog {
  warn(message: string, details: Record<string, unknown>): void;
}

export interface EmailApprovalNotifierOptions {
  mailer: Mailer;
  signer: LinkSigner;
  /** Defaults to `console.warn`, which Lambda sends to CloudWatch Logs. */
  log?: NotifierLog;
}

/** What one `notify` did, for logs and tests. */
export interface NotifyOutcome {
  sent: string[];
  failed: { approver: string; errorName: string; errorMessage: string }[];
  /** The tag creator when self-approval is off: they may not decide, so they get no links. */
  skipped: string[];
}

const consoleLog: NotifierLog = { warn: (message, details) => console.warn(message, details) };

/**
 * Emails each approver their own Approve and Reject links, one message per approver, one after the other
 * (SES accounts have a sending rate; a release has a handful of approvers).
 *
 * - The tag creator is not emailed when self-approval is off: `decideApproval` would refuse their decision,
 *   so links would only lead to a refusal. `requestApproval` already checked that enough others remain.
 * - Some sends failed, at least one succeeded: resolves and logs who was missed. `requestApproval` then sets
 *   `notifiedAt`, so a retried step does not email everyone again; the approvers who were reached can decide.
 * - Every send failed: rejects, so that `notifiedAt` stays unset and the step's retry notifies again. The
 *   error is `AwsTransientError` (retried by the state machine) if any failure may pass, otherwise
 *   `PipelineMisconfiguredError` (SES refuses the sender or recipients: no retry helps).
 */
export class EmailApprovalNotifier implements ApprovalNotifier {
  private readonly log: NotifierLog;

  constructor(private readonly options: EmailApprovalNotifierOptions) {
    this.log = options.log ?? consoleLog;
  }

  async notify(view: ApprovalView): Promise<void> {
    await this.send(view);
  }

  /** Does the work of {@link notify} and says what happened. */
  async send(view: ApprovalView): Promise<NotifyOutcome> {
    const outcome: NotifyOutcome = { sent: [], failed: [], skipped: [] };
    const errors: unknown[] = [];
    for (const approver of view.approvers) {
      if (!view.allowSelfApproval && view.createdBy !== undefined && sameApprover(approver, view.createdBy)) {
        outcome.skipped.push(approver);
        continue;
      }
      try {
        const [approve, reject] = [
          await this.options.signer.linkFor(view, approver, 'approve'),
          await this.options.signer.linkFor(view, approver, 'reject'),
        ];
        const email = renderApprovalEmail(view, approver, { approve, reject });
        await this.options.mailer.send({ to: approver, ...email });
        outcome.sent.push(approver);
      } catch (error) {
        errors.push(error);
        outcome.failed.push({ approver, errorName: nameOf(error), errorMessage: messageOf(error) });
      }
    }

    const where = `approval ${view.approvalId} (${view.service} ${view.version} for ${view.environment}/${view.region})`;
    if (outcome.failed.length > 0 && outcome.sent.length > 0)
      this.log.warn('some approvers could not be emailed', {
        approvalId: view.approvalId,
        sent: outcome.sent,
        failed: outcome.failed,
      });
    if (outcome.sent.length === 0 && outcome.failed.length === 0)
      throw new PipelineMisconfiguredError(
        `${where}: nobody to email (every approver is the tag creator, who may not approve): check the stage's approvers`,
      );
    if (outcome.sent.length === 0) {
      const summary = outcome.failed.map((f) => `${f.approver}: ${f.errorName}`).join('; ');
      const message = `${where}: no approver could be emailed (${summary})`;
      if (errors.some((e) => e instanceof AwsTransientError))
        throw new AwsTransientError(`${message}; safe to retry later`);
      if (errors.every((e) => e instanceof PipelineMisconfiguredError))
        throw new PipelineMisconfiguredError(`${message}; ${messageOf(errors[0])}`);
      throw new Error(message);
    }
    return outcome;
  }
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
