import type { Mailer, MailMessage } from '../../shared/ports/approvals';
import { extractLinks } from './local-mailbox';

export interface ClickedLink {
  to: string;
  url: string;
  /** The HTTP status of the POST that decided (or of the GET, when the page offered no button). */
  status: number;
}

/**
 * An approver who reads every approval email the moment it arrives and clicks Approve, over real HTTP:
 * GET the link (the confirmation page), then POST its form back, exactly as a browser would. Lets the demo
 * play releases through the real links and pages without a person. Passes every message on to `inbox`.
 */
export class LocalEmailApprover implements Mailer {
  readonly clicked: ClickedLink[] = [];

  constructor(
    private readonly inbox: Mailer,
    /** Approve only the first `perApproval` recipients of each approval (one approval is enough by default). */
    private readonly options: { track: <T>(work: Promise<T>) => Promise<T>; approversPerRequest?: number } = {
      track: (work) => work,
    },
  ) {}

  private readonly clicksPerSubject = new Map<string, number>();

  async send(message: MailMessage): Promise<void> {
    await this.inbox.send(message);
    const done = this.clicksPerSubject.get(message.subject) ?? 0;
    if (done >= (this.options.approversPerRequest ?? 1)) return;
    this.clicksPerSubject.set(message.subject, done + 1);
    const approve = extractLinks(message.text).find(
      (link) => new URL(link).searchParams.get('action') === 'approve',
    );
    if (approve) void this.options.track(this.click(message.to, approve));
  }

  private async click(to: string, url: string): Promise<void> {
    const page = await fetch(url, { headers: { 'sec-fetch-site': 'none' } });
    const html = await page.text();
    const token = /name="formToken" value="([^"]+)"/.exec(html)?.[1];
    if (!token) {
      this.clicked.push({ to, url, status: page.status });
      return;
    }
    const decided = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ formToken: token.replace(/&amp;/g, '&') }).toString(),
    });
    this.clicked.push({ to, url, status: decided.status });
  }
}
