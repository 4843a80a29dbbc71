import {
  headerOf,
  preflight,
  readGitHubWebhook,
  type WebhookRequest,
  type WebhookResult,
} from './github-webhook';
import type { SecretSource } from '../ports/secrets';
import type { TagEventPublisher } from '../ports/git-tags';
import type { TagCreatedDetail } from './tag-created.schema';

/** Where the intake logs what became of a delivery (the Powertools logger in Lambda). */
export interface WebhookLog {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

export interface ReceiveTagWebhookDeps {
  secrets: SecretSource;
  publisher: TagEventPublisher;
  /** The Secrets Manager name (or ARN) of the webhook's secret. */
  secretName: string;
  /**
   * Whether a tag of this repository releases a configured service (`services[].gitRepository`): a tag of
   * any other repository is ignored here, so its sender learns it at once instead of reading "queued".
   */
  releasesService: (repository: string) => boolean;
  log: WebhookLog;
}

/**
 * What became of one delivery: read and not a tag (ping, ignored, rejected), published, or `unavailable`
 * (the secret or the bus could not be reached: a redelivery later may succeed).
 */
export type TagWebhookResult =
  | Exclude<WebhookResult, { kind: 'tag' }>
  | { kind: 'published'; detail: TagCreatedDetail }
  | { kind: 'unavailable'; reason: string };

/**
 * A GitHub webhook delivery: a verified push of a new release tag becomes one `Git Tag Created` event on the
 * pipeline's bus. Each outcome is logged with the delivery's id, never with the secret or the signature.
 *
 * 1. Refuse oversized or unsigned requests before the secret is fetched.
 * 2. Fetch the webhook's secret; missing, empty or unreadable: unavailable.
 * 3. Verify the signature and read the delivery: a ping, something to ignore, a rejection, or a tag.
 * 4. A tag of a repository no configured service is released from: ignored, nothing published.
 * 5. Publish the tag's event; not accepted: unavailable.
 */
export async function receiveTagWebhook(
  request: WebhookRequest,
  deps: ReceiveTagWebhookDeps,
): Promise<TagWebhookResult> {
  const delivery = safeDeliveryId(headerOf(request.headers, 'x-github-delivery'));
  const early = preflight(request);
  if (early) return logged(early, delivery, deps.log);

  let secret: string;
  try {
    secret = await deps.secrets.get(deps.secretName);
    if (secret === '') throw new Error('the webhook secret is empty');
  } catch (error) {
    deps.log.error('webhook secret unavailable', { delivery, ...errorFields(error) });
    return { kind: 'unavailable', reason: 'the webhook secret is unavailable' };
  }

  const result = readGitHubWebhook(request, secret);
  if (result.kind !== 'tag') return logged(result, delivery, deps.log);

  const { detail } = result;
  if (!deps.releasesService(detail.repository))
    return logged(
      {
        kind: 'ignored',
        reason:
          `repository "${detail.repository}" is the gitRepository of no configured service ` +
          '(services[].gitRepository in pipeline.config.yml)',
      },
      delivery,
      deps.log,
    );
  try {
    await deps.publisher.publish(detail);
  } catch (error) {
    deps.log.error('tag event not published', {
      delivery,
      repository: detail.repository,
      tag: detail.tag,
      ...errorFields(error),
    });
    return { kind: 'unavailable', reason: 'the tag could not be queued' };
  }
  deps.log.info('tag event published', {
    delivery,
    repository: detail.repository,
    tag: detail.tag,
    commit: detail.commit,
  });
  return { kind: 'published', detail };
}

function logged<R extends Exclude<WebhookResult, { kind: 'tag' }>>(
  result: R,
  delivery: string | undefined,
  log: WebhookLog,
): R {
  switch (result.kind) {
    case 'ping':
      log.info('webhook ping', { delivery });
      break;
    case 'ignored':
      log.info('webhook delivery ignored', { delivery, reason: result.reason });
      break;
    case 'rejected':
      log.warn('webhook delivery rejected', { delivery, status: result.status, reason: result.reason });
      break;
  }
  return result;
}

/** GitHub's delivery id is a GUID; anything else is not logged. */
function safeDeliveryId(value: string | undefined): string | undefined {
  return value !== undefined && /^[0-9A-Za-z-]{1,64}$/.test(value) ? value : undefined;
}

/** An error's name and message for the log; never its stack. */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  return {
    errorName: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : 'non-error thrown',
  };
}
