import {
  headerOf,
  preflight,
  readGitHubWebhook,
  type WebhookRequest,
  type WebhookResult,
} from '../../shared/git-tags/github-webhook';
import type { SecretSource, TagEventPublisher } from '../../shared/git-tags/ports';
import { methodOf, type HttpRequest } from '../../shared/http/request';
import type { HttpAnswer } from '../../shared/middleware/http-handler';
import { errorFields, logger } from '../../shared/middleware/lambda-step';

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
}

/** Verifies a delivery and publishes the tag it announces, at most once per call. */
export async function receiveDelivery(
  event: HttpRequest,
  deps: DeliveryDeps,
): Promise<HttpAnswer<WebhookOutcome>> {
  if (methodOf(event) !== 'POST') return respond(405, 'only POST is accepted', 'rejected', { allow: 'POST' });

  const request: WebhookRequest = {
    headers: event.headers ?? {},
    body: typeof event.body === 'string' ? event.body : '',
    isBase64Encoded: event.isBase64Encoded === true,
  };
  const delivery = safeDeliveryId(headerOf(request.headers, 'x-github-delivery'));

  // Oversized or unsigned requests are refused before the secret is fetched.
  const early = preflight(request);
  if (early) return answer(early, delivery);

  let secret: string;
  try {
    secret = await deps.secrets.get(deps.secretName);
    if (secret === '') throw new Error('the webhook secret is empty');
  } catch (error) {
    logger.error('webhook secret unavailable', { delivery, ...errorFields(error) });
    return respond(503, 'the webhook secret is unavailable; redeliver later', 'unavailable');
  }

  const result = readGitHubWebhook(request, secret);
  if (result.kind !== 'tag') return answer(result, delivery);

  const { detail } = result;
  try {
    await deps.publisher.publish(detail);
  } catch (error) {
    const { repository, tag } = detail;
    logger.error('tag event not published', { delivery, repository, tag, ...errorFields(error) });
    return respond(503, 'the tag could not be queued; redeliver later', 'unavailable');
  }
  const { repository, tag, commit } = detail;
  logger.info('tag event published', { delivery, repository, tag, commit });
  return respond(202, `tag ${tag} of ${repository} queued for release`, 'published');
}

function answer(
  result: Exclude<WebhookResult, { kind: 'tag' }>,
  delivery: string | undefined,
): HttpAnswer<WebhookOutcome> {
  switch (result.kind) {
    case 'ping':
      logger.info('webhook ping', { delivery });
      return respond(200, 'pong', 'ping');
    case 'ignored':
      logger.info('webhook delivery ignored', { delivery, reason: result.reason });
      return respond(200, `ignored: ${result.reason}`, 'ignored');
    case 'rejected':
      logger.warn('webhook delivery rejected', { delivery, status: result.status, reason: result.reason });
      return respond(result.status, result.reason, 'rejected');
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

/** GitHub's delivery id is a GUID; anything else is not logged. */
function safeDeliveryId(value: string | undefined): string | undefined {
  return value !== undefined && /^[0-9A-Za-z-]{1,64}$/.test(value) ? value : undefined;
}
