import type { TagWebhookResult } from '../../shared/git-tags/receive-tag-webhook';

/** The HTTP answer to GitHub: JSON `{ message }`, which GitHub's delivery log shows. */
export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What the handler did with a delivery, for the outcome metric. */
export type WebhookOutcome = 'published' | 'ping' | 'ignored' | 'rejected' | 'unavailable' | 'failed';

export type WebhookAnswer = WebhookResponse & { outcome: WebhookOutcome };

const RESPONSE_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function respond(
  outcome: WebhookOutcome,
  statusCode: number,
  message: string,
  extra: Record<string, string> = {},
): WebhookAnswer {
  const headers = { ...RESPONSE_HEADERS, ...extra };
  return { statusCode, headers, body: JSON.stringify({ message }), outcome };
}

/** A client mistake is a 4xx with the reason; an unavailable secret or bus a 503 (GitHub redelivers later). */
export function webhookAnswer(result: TagWebhookResult): WebhookAnswer {
  switch (result.kind) {
    case 'published': {
      const { tag, repository } = result.detail;
      return respond('published', 202, `tag ${tag} of ${repository} queued for release`);
    }
    case 'ping':
      return respond('ping', 200, 'pong');
    case 'ignored':
      return respond('ignored', 200, `ignored: ${result.reason}`);
    case 'rejected':
      return respond('rejected', result.status, result.reason);
    case 'unavailable':
      return respond('unavailable', 503, `${result.reason}; redeliver later`);
  }
}
