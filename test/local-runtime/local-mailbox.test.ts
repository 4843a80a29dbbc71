import { EmailApprovalNotifier } from '../../shared/approvals/email/email-notifier';
import { ManualClock } from '../../shared/clock';
import {
  extractLinks,
  LocalMailbox,
  MAILBOX_PAGE_HEADERS,
  renderMailboxIndex,
  renderMailboxMessage,
  renderMailboxNotFound,
} from '../../local-runtime/adapters/local-mailbox';
import { ALICE, BOB } from '../shared/approvals/approval-fixtures';
import { FakeLinkSigner, approvalView, linkOf } from '../shared/approvals/email/email-fixtures';

const SENT_AT = Date.UTC(2026, 10, 20, 10, 0);
const message = (overrides: Partial<{ to: string; subject: string; html: string; text: string }> = {}) => ({
  to: ALICE,
  subject: 'Approve orders-api v1.4.0 for production/eu-west-1?',
  html: '<p>Approve <a href="https://approvals.example.com/a?sig=1">here</a></p>',
  text: 'Approve:\nhttps://approvals.example.com/a?sig=1\n\nReject:\nhttps://approvals.example.com/r?sig=2\n',
  ...overrides,
});

describe('LocalMailbox', () => {
  let clock: ManualClock;
  let mailbox: LocalMailbox;

  beforeEach(() => {
    clock = new ManualClock(SENT_AT);
    mailbox = new LocalMailbox({ clock });
  });

  it('when messages are sent, it keeps each with an id, the time and the links of its text', async () => {
    // Act
    await mailbox.send(message());
    await clock.advance(1000);
    await mailbox.send(message({ to: BOB, text: 'no links here' }));

    // Assess
    expect(mailbox.list()).toEqual([
      {
        id: 'mail-1',
        ...message(),
        sentAt: SENT_AT,
        links: ['https://approvals.example.com/a?sig=1', 'https://approvals.example.com/r?sig=2'],
      },
      { id: 'mail-2', ...message({ to: BOB, text: 'no links here' }), sentAt: SENT_AT + 1000, links: [] },
    ]);
    expect(mailbox.get('mail-2')?.to).toBe(BOB);
    expect(mailbox.get('mail-3')).toBeUndefined();
    expect(mailbox.to('Alice@Example.com').map((m) => m.id)).toEqual(['mail-1']);
  });

  it('when a caller changes what list() returned, the mailbox keeps its own copy', async () => {
    // Prepare
    await mailbox.send(message());

    // Act
    const listed = mailbox.list();
    listed[0]!.links.push('https://evil.example.com');

    // Assess
    expect(mailbox.get('mail-1')?.links).toHaveLength(2);
  });

  it('when asked for JSON, it gives every message with its time as an ISO date', async () => {
    // Prepare
    await mailbox.send(message());

    // Act
    const json = JSON.parse(JSON.stringify(mailbox.toJson()));

    // Assess
    expect(json.messages).toHaveLength(1);
    expect(json.messages[0]).toMatchObject({
      id: 'mail-1',
      to: ALICE,
      sentAtIso: '2026-11-20T10:00:00.000Z',
    });
  });

  it('when the notifier emails approvers, the mailbox holds each approver’s approve and reject links', async () => {
    // Prepare
    const notifier = new EmailApprovalNotifier({ mailer: mailbox, signer: new FakeLinkSigner() });
    const view = approvalView();

    // Act
    await notifier.notify(view);

    // Assess
    expect(mailbox.list().map((m) => [m.to, m.links])).toEqual([
      [ALICE, [linkOf(view.approvalId, ALICE, 'approve'), linkOf(view.approvalId, ALICE, 'reject')]],
      [BOB, [linkOf(view.approvalId, BOB, 'approve'), linkOf(view.approvalId, BOB, 'reject')]],
    ]);
  });
});

describe('extractLinks', () => {
  it('when URLs end a sentence or repeat, it drops the punctuation and the repeats', () => {
    // Act
    const links = extractLinks(
      'Open https://a.example.com/x?y=1. Or (http://b.example.com/z), again https://a.example.com/x?y=1 ' +
        'but not ftp://c.example.com or javascript:alert(1)',
    );

    // Assess
    expect(links).toEqual(['https://a.example.com/x?y=1', 'http://b.example.com/z']);
  });
});

describe('mailbox pages', () => {
  const hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>';

  it('when the mailbox is empty, the index says so', () => {
    // Act
    const html = renderMailboxIndex([]);

    // Assess
    expect(html).toContain('No messages yet.');
  });

  it('when messages hold hostile markup, the index escapes it and links each message by id', async () => {
    // Prepare
    const mailbox = new LocalMailbox({ clock: new ManualClock(SENT_AT) });
    await mailbox.send(message({ to: hostile, subject: hostile }));
    await mailbox.send(message());

    // Act
    const html = renderMailboxIndex(mailbox.list());

    // Assess
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img');
    expect(html.indexOf('href="/mail/mail-2"')).toBeLessThan(html.indexOf('href="/mail/mail-1"'));
  });

  it('when a message holds hostile markup, its page escapes every field, cuts links at quotes and frames the HTML without scripts', async () => {
    // Prepare
    const mailbox = new LocalMailbox({ clock: new ManualClock(SENT_AT) });
    await mailbox.send({
      to: hostile,
      subject: hostile,
      html: `<p>hi</p>${hostile}`,
      text: `${hostile}\nhttps://approvals.example.com/a?x="><script>alert(3)</script>\n`,
    });

    // Act
    const html = renderMailboxMessage(mailbox.get('mail-1')!);

    // Assess
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain(
      '<iframe sandbox="" referrerpolicy="no-referrer" title="HTML body" srcdoc="&lt;p&gt;hi&lt;/p&gt;&lt;script&gt;',
    );
    expect(html).toContain(
      '<li><a href="https://approvals.example.com/a?x=" rel="noreferrer noopener">https://approvals.example.com/a?x=</a></li>',
    );
    expect(html).toContain(`content="${"default-src 'none'".replace(/'/g, '&#39;')}`);
  });

  it('when the message is unknown, the page escapes the id asked for', () => {
    // Act
    const html = renderMailboxNotFound(hostile);

    // Assess
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('No such message');
  });

  it('when pages are served, their headers forbid scripts, framing and referrers', () => {
    // Assess
    expect(MAILBOX_PAGE_HEADERS['Content-Security-Policy']).toContain("default-src 'none'");
    expect(MAILBOX_PAGE_HEADERS['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(MAILBOX_PAGE_HEADERS['Referrer-Policy']).toBe('no-referrer');
    expect(MAILBOX_PAGE_HEADERS['Cache-Control']).toBe('no-store');
  });
});
