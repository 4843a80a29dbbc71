import type { ApprovalView, DecisionKind } from '../approval';
import { linkExpiry, signLink, type SigningKeySource } from '../links/signing';
import type { LinkSigner } from '../../ports/approvals';

export interface SignedLinkSignerOptions {
  /** Where the approval pages are served, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  baseUrl: string;
  keys: SigningKeySource;
}

/**
 * The {@link LinkSigner} of `shared/approvals/links/signing.ts`: one HMAC-signed link per approver and
 * action, expiring with the approval (`linkExpiry(view.expiresAt)`), pointing at the confirmation page.
 */
export class SignedLinkSigner implements LinkSigner {
  constructor(private readonly options: SignedLinkSignerOptions) {}

  linkFor(view: ApprovalView, approver: string, action: DecisionKind): Promise<string> {
    return signLink(
      this.options.baseUrl,
      { approvalId: view.approvalId, approver, action, expires: linkExpiry(view.expiresAt) },
      this.options.keys,
    );
  }
}
