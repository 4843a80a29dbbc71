import type { ApprovalView, DecisionKind } from '../approval';

/** One email to one recipient, in both forms: mail clients show the HTML, others and filters read the text. */
export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Sends one email. SES in AWS (`shared/aws/ses-mailer.adapter.ts`), a mailbox in memory locally. */
export interface Mailer {
  /**
   * Resolves once the message was accepted for delivery. Rejects with `AwsTransientError` when a later try
   * may succeed (throttling, an outage) and `PipelineMisconfiguredError` when none will (unverified sender).
   */
  send(message: MailMessage): Promise<void>;
}

/**
 * Makes the link one approver opens to approve or reject one approval. The link is signed for that approver
 * and action and stops working at `view.expiresAt`; it opens a confirmation page, it never decides on a GET.
 * The real signer lives in `shared/approvals/links/`; this port keeps the email code independent of it.
 */
export interface LinkSigner {
  linkFor(view: ApprovalView, approver: string, action: DecisionKind): Promise<string>;
}
