import { publicView, type ApprovalRecord } from '../../../../shared/approvals/approval';
import { escapeHtml } from '../../../../shared/http/html';
import { MAX_EVIDENCE_CHARS, renderPage, type ApprovalPage } from '../../../../shared/approvals/links/pages';
import { ALICE, approvalRequest } from '../approval-fixtures';
import { START } from './approval-page-requests';

function view(overrides: Partial<ApprovalRecord> = {}) {
  return publicView({
    ...approvalRequest(),
    approvalId: 'approval-1',
    status: 'pending',
    createdAt: START,
    expiresAt: START + 24 * 3600_000,
    decisions: [],
    refusals: [],
    ...overrides,
  });
}

/** The confirmation page of `approval` that ALICE's `action` link of approval-1 opens. */
function confirmPage(
  approval: ReturnType<typeof view>,
  action: 'approve' | 'reject' = 'approve',
  formToken = 't',
): string {
  return renderPage({
    kind: 'confirm',
    approval,
    link: { approvalId: 'approval-1', approver: ALICE, action, expires: 1 },
    formToken,
    now: START,
  });
}

describe('approval pages', () => {
  it('when text holds the characters that matter in HTML, it escapes all five', () => {
    // Prepare
    const text = `<a href="x" onclick='y'>&</a>`;

    // Act
    const escaped = escapeHtml(text);

    // Assess
    expect(escaped).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it.each<[ApprovalPage['kind'], string]>([
    ['invalid-link', 'Invalid link'],
    ['expired-link', 'Expired link'],
    ['method-not-allowed', 'Not allowed'],
    ['too-large', 'Request too large'],
    ['unsupported-media-type', 'Unsupported request'],
    ['unavailable', 'Try again'],
    ['internal-error', 'Something went wrong'],
  ])('when the %s page is rendered, it is a complete document titled "%s" with no button', (kind, title) => {
    // Prepare
    const page = { kind } as ApprovalPage;

    // Act
    const html = renderPage(page);

    // Assess
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(`<title>${title}</title>`);
    expect(html).not.toContain('<button');
  });

  it('when every field of the approval holds markup, the confirmation page shows it all escaped', () => {
    // Prepare
    const evil = '<script>alert(1)</script>';
    const approval = view({
      service: evil,
      version: `v1"><img src=x>`,
      region: evil,
      commit: evil,
      digest: evil,
      executionName: evil,
      approvers: [ALICE, evil],
      createdBy: evil,
      evidence: { [evil]: { note: evil } },
    });

    // Act
    const html = confirmPage(approval, 'approve', '"><script>');

    // Assess
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;"');
  });

  it('when earlier evidence is text, it shows the text, not a JSON string in quotes', () => {
    // Prepare
    const approval = view({
      evidence: { staging: 'smoke checks passed\nbake: no alarm', 'eu-west-1': { alarms: [] } },
    });

    // Act
    const html = confirmPage(approval);

    // Assess
    expect(html).toContain('<pre>smoke checks passed\nbake: no alarm</pre>');
    expect(html).not.toContain('&quot;smoke checks passed');
    expect(html).toContain('&quot;alarms&quot;: []');
  });

  it('when approving also migrates the database, the page and its button ask to migrate and deploy', () => {
    // Prepare
    const approval = view({ migrates: true });

    // Act
    const html = confirmPage(approval);

    // Assess
    expect(html).toContain('<h1>Migrate and deploy v1.4.0 to production/eu-west-1?</h1>');
    expect(html).toContain('>Migrate and deploy v1.4.0 to production/eu-west-1</button>');
    expect(html).toContain('You are about to approve the database migration and the deployment below.');
  });

  it('when the evidence is huge, it is cut with a note', () => {
    // Prepare
    const approval = view({ evidence: { staging: 'x'.repeat(MAX_EVIDENCE_CHARS * 2) } });

    // Act
    const html = confirmPage(approval, 'reject');

    // Assess
    expect(html).toContain('… (cut)');
    expect(html.length).toBeLessThan(MAX_EVIDENCE_CHARS + 10_000);
  });
});
