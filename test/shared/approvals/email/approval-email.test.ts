import { renderApprovalEmail, shortDigest } from '../../../../shared/approvals/email/approval-email';
import { escapeHtml } from '../../../../shared/http/html';
import { PipelineMisconfiguredError } from '../../../../shared/domain/errors';
import { ALICE, CAROL, TOKEN } from '../approval-fixtures';
import { approvalView, linkOf } from './email-fixtures';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const links = (approvalId = 'Zm9vYmFyYmF6cXV4MTIzNA') => ({
  approve: linkOf(approvalId, ALICE, 'approve'),
  reject: linkOf(approvalId, ALICE, 'reject'),
});

/** The tags the approval email may contain; anything else came from a value that escaped escaping. */
const ALLOWED_TAGS = new Set([
  '!DOCTYPE',
  'html',
  'head',
  'meta',
  'title',
  'body',
  'p',
  'strong',
  'table',
  'tr',
  'th',
  'td',
  'h3',
  'code',
  'pre',
  'a',
  'br',
]);

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([!A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[1] ?? '');
}

describe('renderApprovalEmail', () => {
  it('when an approval waits, it asks in the subject for the service, version and stage', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    expect(email.subject).toBe('Approve orders-api v1.4.0 for production/eu-west-1?');
  });

  it('when approving also migrates the database, the subject and both bodies ask to migrate and deploy', () => {
    // Prepare
    const plan = 'migrations to apply in production/eu-west-1 (approving migrates, then deploys)';
    const view = approvalView({ migrates: true, evidence: { [plan]: 'pending: 002_add_order_total' } });

    // Act
    const email = renderApprovalEmail(view, ALICE, links());

    // Assess
    expect(email.subject).toBe('Migrate and deploy orders-api v1.4.0 to production/eu-west-1?');
    expect(email.text).toContain(
      'orders-api v1.4.0 waits for your approval to migrate the database and deploy to production/eu-west-1.',
    );
    expect(email.html).toContain(
      '<strong>orders-api v1.4.0</strong> waits for your approval to migrate the database and deploy to <strong>production/eu-west-1</strong>.',
    );
    expect(email.html).toContain(
      '<title>Migrate and deploy orders-api v1.4.0 to production/eu-west-1?</title>',
    );
    for (const body of [email.text, email.html]) expect(body).toContain('pending: 002_add_order_total');
  });

  it('when approving only deploys, no body speaks of a migration', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    for (const body of [email.subject, email.text, email.html]) expect(body).not.toMatch(/migrat/i);
    expect(email.text).toContain('waits for your approval before it deploys to production/eu-west-1.');
  });

  it('when an approval waits, it shows what, from where, until when and who tagged it, in both bodies', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    for (const body of [email.text, email.html]) {
      expect(body).toContain('orders-api');
      expect(body).toContain('v1.4.0');
      expect(body).toContain('production/eu-west-1');
      expect(body).toContain(`sha256:abababababab (${DIGEST})`);
      expect(body).toContain('0123456789abcdef0123456789abcdef01234567');
      expect(body).toContain('2026-11-21 10:00 UTC (24 hours after the request)');
      expect(body).toContain(CAROL);
      expect(body).toContain('1 of 3 approvers; one rejection stops the release');
      expect(body).toContain('What staging and earlier regions showed');
    }
    expect(email.text).toContain('  staging: {"smoke":"passed","alarms":[]}');
    expect(email.html).toContain(escapeHtml('{"smoke":"passed","alarms":[]}'));
  });

  it('when rendered, it puts both links as buttons in the HTML and as plain URLs in the text', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    const { approve, reject } = links();
    expect(email.html).toContain(`<a href="${escapeHtml(approve)}"`);
    expect(email.html).toContain(`<a href="${escapeHtml(reject)}"`);
    expect(email.html).toMatch(/>Approve<\/a>/);
    expect(email.html).toMatch(/>Reject<\/a>/);
    const lines = email.text.split('\n');
    expect(lines[lines.indexOf('Approve:') + 1]).toBe(approve);
    expect(lines[lines.indexOf('Reject:') + 1]).toBe(reject);
  });

  it('when rendered, it says the links open a confirmation page and are for this approver only', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    for (const body of [email.text, email.html]) {
      expect(body).toContain(
        'Each link opens a confirmation page: nothing is approved or rejected until you confirm there.',
      );
      expect(body).toContain(`These links are for ${ALICE} only`);
    }
  });

  it('when rendered, it has no scripts, no images and no external resources', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    expect(tagsOf(email.html).every((t) => ALLOWED_TAGS.has(t))).toBe(true);
    expect(email.html).not.toMatch(/<script|<img|<link|<iframe|\bsrc=|url\(/i);
    expect([...email.html.matchAll(/href="/g)]).toHaveLength(2);
  });

  it('when the record held a task token, the email does not contain it', () => {
    // Act
    const email = renderApprovalEmail(approvalView(), ALICE, links());

    // Assess
    const all = JSON.stringify(email);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toMatch(/task.?token/i);
  });

  it('when every field holds hostile markup, it escapes them all and adds no tags', () => {
    // Prepare
    const hostile = (field: string) =>
      `<script>alert('${field}')</script>"><img src=x onerror=alert(1)>&amp;`;
    const view = approvalView({
      approvalId: hostile('id'),
      service: hostile('service'),
      version: hostile('version'),
      commit: hostile('commit'),
      digest: hostile('digest'),
      environment: hostile('environment'),
      region: hostile('region'),
      createdBy: hostile('createdBy'),
      approvers: [hostile('approver'), ALICE],
      evidence: { [hostile('key')]: hostile('value'), nested: { deep: hostile('deep') } },
    });

    // Act
    const email = renderApprovalEmail(view, hostile('to'), links());

    // Assess
    expect(tagsOf(email.html).every((t) => ALLOWED_TAGS.has(t))).toBe(true);
    expect(email.html).not.toMatch(/<script|<img/);
    expect(email.html).toContain('&gt;&amp;amp;');
    for (const field of [
      'service',
      'version',
      'commit',
      'environment',
      'region',
      'createdBy',
      'key',
      'value',
      'to',
    ])
      expect(email.html).toContain(escapeHtml(`alert('${field}')`));
    expect(email.html).toContain('&lt;script&gt;');
    expect([...email.html.matchAll(/href="/g)]).toHaveLength(2);
  });

  it('when values hold newlines, they cannot forge lines in the text or headers in the subject', () => {
    // Prepare
    const forged = 'orders-api\nApprove:\nhttps://evil.example.com/approve\r\nBcc: everyone@example.com';
    const view = approvalView({ service: forged, version: 'v1\u2028x', createdBy: `${CAROL}\n\nReject:` });

    // Act
    const email = renderApprovalEmail(view, ALICE, links());

    // Assess
    expect(email.subject).not.toMatch(/[\r\n\u2028]/);
    const lines = email.text.split('\n');
    expect(lines.filter((l) => l === 'Approve:')).toHaveLength(1);
    expect(lines.filter((l) => l === 'Reject:')).toHaveLength(1);
    expect(lines).not.toContain('https://evil.example.com/approve');
    expect(lines.some((l) => l.startsWith('Bcc:'))).toBe(false);
  });

  it('when the evidence is large, it shows a bounded part of it', () => {
    // Prepare
    const evidence = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`region-${i}`, { log: 'x'.repeat(5000) }]),
    );

    // Act
    const email = renderApprovalEmail(approvalView({ evidence }), ALICE, links());

    // Assess
    expect(email.text).toContain('… and 80 more');
    expect(email.text).not.toContain('region-20:');
    expect(email.text.length).toBeLessThan(12_000);
    expect(email.html.length).toBeLessThan(20_000);
  });

  it('when the evidence is not an object, it shows it as indented JSON, escaped', () => {
    // Prepare
    const evidence = [{ stage: 'staging', note: '</pre><script>x</script>' }];

    // Act
    const email = renderApprovalEmail(approvalView({ evidence }), ALICE, links());

    // Assess
    expect(email.text).toContain('"stage": "staging"');
    expect(email.html).toContain('<pre');
    expect(email.html).toContain('&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;');
    expect(email.html).not.toContain('<script');
  });

  it('when there is no evidence or creator, it says so without empty sections', () => {
    // Prepare
    const view = approvalView();
    delete view.evidence;
    delete view.createdBy;

    // Act
    const email = renderApprovalEmail(view, ALICE, links());

    // Assess
    expect(email.text).not.toContain('What staging');
    expect(email.html).not.toContain('What staging');
    expect(email.text).toMatch(/Tag created by: +unknown/);
  });

  it.each([
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative URL', '/approvals/x/approve'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
  ])('when a link is %s, it refuses to render', (_what, link) => {
    // Act
    const render = () => renderApprovalEmail(approvalView(), ALICE, { ...links(), approve: link });

    // Assess
    expect(render).toThrow(PipelineMisconfiguredError);
  });

  it('when a digest is sha256, its short form keeps 12 hex digits', () => {
    // Act
    const short = shortDigest(DIGEST);

    // Assess
    expect(short).toBe('sha256:abababababab');
  });
});
