import type { Notification } from './notification';
import type { Notifier } from '../ports/notifications';

/** The slice of `fetch` the notifier uses; tests and the local runtime pass their own. */
export type WebhookFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ ok: boolean; status: number }>;

export interface ChatWebhookNotifierOptions {
  /** The webhook URL. It is a credential (anyone holding it can post): read it from a secret. */
  url: () => Promise<string>;
  /** Default: the global fetch (Node 20+). */
  fetch?: WebhookFetch;
  /** Give up after this long; default 5 s, so a hanging chat service cannot hold the step up. */
  timeoutMs?: number;
}

/**
 * Posts each notification to a Slack-compatible incoming webhook as `{"text": …}` (Slack, Mattermost,
 * Rocket.Chat, and Teams/Google Chat through their Slack-compatible endpoints). The subject is the first
 * line, in bold. The URL never appears in errors: it is the secret.
 */
export class ChatWebhookNotifier implements Notifier {
  private readonly fetch: WebhookFetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: ChatWebhookNotifierOptions) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async publish(notification: Notification): Promise<void> {
    const url = await this.options.url();
    if (!/^https?:\/\//.test(url))
      throw new Error('the chat webhook URL is not an http(s) URL: check the chat webhook secret');
    let response: { ok: boolean; status: number };
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: chatText(notification) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const { name } = error as Error;
      throw new Error(
        name === 'TimeoutError'
          ? `the chat webhook did not answer within ${this.timeoutMs} ms`
          : `the chat webhook could not be reached (${name})`,
      );
    }
    if (!response.ok) throw new Error(`the chat webhook answered HTTP ${response.status}`);
  }
}

/** `*subject*` then the text: Slack's bold, plain text everywhere else. */
export function chatText(notification: Notification): string {
  return `*${notification.subject}*\n${notification.text}`;
}
