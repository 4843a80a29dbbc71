import { receiveTagWebhook, type TagWebhookResult } from '../../shared/git-tags/receive-tag-webhook';
import type { TagEventPublisher } from '../../shared/ports/git-tags';
import type { SecretSource } from '../../shared/ports/secrets';
import { methodOf, type HttpRequest } from '../../shared/http/request';
import type { HttpAnswer } from '../../shared/middleware/http-handler';
import { logger } from '../../shared/middleware/lambda-step';

/*
 * A GitHub webhook delivery over HTTP: what it becomes, with the status and message GitHub's delivery log
 * shows. A client mistake is a 4xx with the reason, a missing secret or an AWS failure a 503 (redeliver later).
 */

/** What the handler did with a delivery, for the outcome metric. */
export type WebhookOutcome = 'published' | 'ping' | 'ignored' | 'rejected' | 'unavailable' | 'failed';

/** Every answer's headers: a JSON message, never cached or sniffed. */
export const WEBHOOK_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export interface DeliveryDeps {
  secrets: SecretSource;
  publisher: TagEventPublisher;
  /** The Secrets Manager name (or ARN) of the webhook's secret. */
  secretName: string;
  /** Whether a tag of this repository releases a configured service (`services[].gitRepository`). */
  releasesService: (repository: string) => boolean;
}

/** Verifies a delivery and publishes the tag it announces, at most once per call. */
export async function receiveDelivery(
  event: HttpRequest,
  deps: DeliveryDeps,
): Promise<HttpAnswer<WebhookOutcome>> {
  if (methodOf(event) !== 'POST') return respond(405, 'only POST is accepted', 'rejected', { allow: 'POST' });
  const request = {
    headers: event.headers ?? {},
    body: typeof event.body === 'string' ? event.body : '',
    isBase64Encoded: event.isBase64Encoded === true,
  };
  return answer(await receiveTagWebhook(request, { ...deps, log: logger }));
}

function answer(result: TagWebhookResult): HttpAnswer<WebhookOutcome> {
  switch (result.kind) {
    case 'published': {
      const { tag, repository } = result.detail;
      return respond(202, `tag ${tag} of ${repository} queued for release`, 'published');
    }
    case 'ping':
      return respond(200, 'pong', 'ping');
    case 'ignored':
      return respond(200, `ignored: ${result.reason}`, 'ignored');
    case 'rejected':
      return respond(result.status, result.reason, 'rejected');
    case 'unavailable':
      return respond(503, `${result.reason}; redeliver later`, 'unavailable');
  }
}

function respond(
  statusCode: number,
  message: string,
  outcome: WebhookOutcome,
  headers: Record<string, string> = {},
): HttpAnswer<WebhookOutcome> {
  return { statusCode, headers, body: JSON.stringify({ message }), outcome };
}
