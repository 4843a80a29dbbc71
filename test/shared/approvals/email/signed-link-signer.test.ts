import { SignedLinkSigner } from '../../../../shared/approvals/email/signed-link-signer';
import { StaticSigningKeySource, verifyLink } from '../../../../shared/approvals/links/signing';
import { ALICE } from '../approval-fixtures';
import { CREATED_AT, approvalView } from './email-fixtures';

const KEYS = new StaticSigningKeySource('k'.repeat(32));

function paramsOf(link: string) {
  const url = new URL(link);
  return {
    approvalId: url.pathname.split('/').pop(),
    ...(Object.fromEntries(url.searchParams) as Record<string, string>),
  };
}

describe('SignedLinkSigner', () => {
  it('when it signs a link, the approval pages verify it for that approver, action and expiry', async () => {
    // Prepare
    const view = approvalView();
    const signer = new SignedLinkSigner({ baseUrl: 'https://approvals.example.com/', keys: KEYS });

    // Act
    const link = await signer.linkFor(view, ALICE, 'reject');

    // Assess
    expect(link.startsWith(`https://approvals.example.com/approvals/${view.approvalId}?`)).toBe(true);
    const verified = await verifyLink(paramsOf(link), KEYS, CREATED_AT);
    expect(verified).toEqual({
      ok: true,
      key: 'current',
      link: {
        approvalId: view.approvalId,
        approver: ALICE,
        action: 'reject',
        expires: view.expiresAt / 1000,
      },
    });
  });

  it('when the approval has expired, its links no longer verify', async () => {
    // Prepare
    const view = approvalView();
    const link = await new SignedLinkSigner({ baseUrl: 'https://approvals.example.com', keys: KEYS }).linkFor(
      view,
      ALICE,
      'approve',
    );

    // Act
    const verified = await verifyLink(paramsOf(link), KEYS, view.expiresAt);

    // Assess
    expect(verified).toMatchObject({ ok: false, reason: 'expired' });
  });
});
