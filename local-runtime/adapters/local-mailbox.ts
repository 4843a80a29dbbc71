import type { MailMessage, Mailer } from '../../shared/ports/approvals';
import { escapeHtml } from '../../shared/http/html';
import { systemClock, type Clock } from '../../shared/clock';

/** A message the local mailbox received. */
export interface StoredMail extends MailMessage {
  /** `mail-1`, `mail-2`, … in the order sent: safe in a URL path. */
  id: string;
  /** Epoch ms, on the local clock. */
  sentAt: number;
  /** The http(s) URLs of the text body, in order, without repeats. */
  links: string[];
}

export interface LocalMailboxOptions {
  clock?: Pick<Clock, 'now'>;
}

/** Headers to serve the mailbox pages with: no scripts, no framing, and links never leak as a Referer. */
export const MAILBOX_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/g;

/** The http(s) URLs in a text, in order and without repeats; trailing punctuation is not part of a URL. */
export function extractLinks(text: string): string[] {
  const links: string[] = [];
  for (const match of text.matchAll(URL_PATTERN)) {
    const link = match[0].replace(/[.,;:!?)\]]+$/, '');
    if (!links.includes(link)) links.push(link);
  }
  return links;
}

/**
 * Approvers' inboxes on one machine: the local runtime's {@link Mailer}. It keeps every message so that a
 * person can open the approval links in a browser (`/mail`, `/mail/{id}`) and tests can follow them
 * (`list()`, `get(id)`, `GET /api/mail`).
 */
export class LocalMailbox implements Mailer {
  private readonly messages: StoredMail[] = [];
  private readonly clock: Pick<Clock, 'now'>;

  constructor(options: LocalMailboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async send(message: MailMessage): Promise<void> {
    this.messages.push({
      id: `mail-${this.messages.length + 1}`,
      to: message.to,
      subject: message.subject,
      html: message.html,
      text: message.text,
      sentAt: this.clock.now(),
      links: extractLinks(message.text),
    });
  }

  /** Takes the messages of an earlier mailbox (`list()`) in place of this one's: later ids follow on. */
  restore(messages: readonly StoredMail[]): void {
    this.messages.splice(0, this.messages.length, ...structuredClone(messages));
  }

  /** Every message, oldest first (copies). */
  list(): StoredMail[] {
    return this.messages.map((m) => structuredClone(m));
  }

  /** One message by id (a copy), or undefined. */
  get(id: string): StoredMail | undefined {
    const message = this.messages.find((m) => m.id === id);
    return message && structuredClone(message);
  }

  /** Messages to one address, compared case-insensitively, oldest first. */
  to(address: string): StoredMail[] {
    const wanted = address.trim().toLowerCase();
    return this.list().filter((m) => m.to.trim().toLowerCase() === wanted);
  }

  /** The body of `GET /api/mail`: every message, with `sentAt` also as an ISO date. */
  toJson(): { messages: (StoredMail & { sentAtIso: string })[] } {
    return { messages: this.list().map((m) => ({ ...m, sentAtIso: new Date(m.sentAt).toISOString() })) };
  }
}

const PAGE_STYLE =
  'body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;color:#1f2328}' +
  'table{border-collapse:collapse}td,th{padding:4px 12px 4px 0;text-align:left;vertical-align:top}' +
  'pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all}' +
  'iframe{width:100%;height:32rem;border:1px solid #d0d7de}';

function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(MAILBOX_PAGE_HEADERS['Content-Security-Policy'] ?? '')}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>`,
    `<body>${body}</body></html>`,
    '',
  ].join('\n');
}

function when(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** Only http(s) links become anchors; anything else stays text. */
function anchor(link: string): string {
  return /^https?:\/\//i.test(link)
    ? `<a href="${escapeHtml(link)}" rel="noreferrer noopener">${escapeHtml(link)}</a>`
    : escapeHtml(link);
}

/** `GET /mail`: every message, newest first, linking to `/mail/{id}`. */
export function renderMailboxIndex(messages: readonly StoredMail[]): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) =>
        `<tr><td>${escapeHtml(when(m.sentAt))}</td><td>${escapeHtml(m.to)}</td>` +
        `<td><a href="/mail/${encodeURIComponent(m.id)}">${escapeHtml(m.subject)}</a></td></tr>`,
    )
    .join('\n');
  const body =
    messages.length === 0
      ? '<h1>Local mailbox</h1>\n<p>No messages yet.</p>'
      : `<h1>Local mailbox</h1>\n<p>${messages.length} message(s), newest first.</p>\n` +
        `<table><tr><th>Sent</th><th>To</th><th>Subject</th></tr>\n${rows}\n</table>`;
  return page('Local mailbox', body);
}

/**
 * `GET /mail/{id}`: the message's headers, its links, its text body and its HTML body in a sandboxed frame
 * (no scripts, no navigation from the frame: open the links from the list above it).
 */
export function renderMailboxMessage(message: StoredMail): string {
  const links =
    message.links.length === 0
      ? '<p>No links.</p>'
      : `<ul>\n${message.links.map((l) => `<li>${anchor(l)}</li>`).join('\n')}\n</ul>`;
  const body = [
    '<p><a href="/mail">&larr; Mailbox</a></p>',
    `<h1>${escapeHtml(message.subject)}</h1>`,
    '<table>',
    `<tr><th>To</th><td>${escapeHtml(message.to)}</td></tr>`,
    `<tr><th>Sent</th><td>${escapeHtml(when(message.sentAt))}</td></tr>`,
    `<tr><th>Id</th><td>${escapeHtml(message.id)}</td></tr>`,
    '</table>',
    '<h2>Links</h2>',
    links,
    '<h2>HTML</h2>',
    `<iframe sandbox="" referrerpolicy="no-referrer" title="HTML body" srcdoc="${escapeHtml(message.html)}"></iframe>`,
    '<h2>Text</h2>',
    `<pre>${escapeHtml(message.text)}</pre>`,
  ].join('\n');
  return page(message.subject, body);
}

/** `GET /mail/{id}` for an id the mailbox does not hold. */
export function renderMailboxNotFound(id: string): string {
  return page(
    'No such message',
    `<p><a href="/mail">&larr; Mailbox</a></p>\n<h1>No such message</h1>\n<p>The mailbox holds no message ${escapeHtml(id)}.</p>`,
  );
}
