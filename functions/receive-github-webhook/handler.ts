import { readRuntimeEnv } from '../../shared/config/runtime-env';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EventBridgeTagEventPublisher } from '../../shared/aws/event-publisher.adapter';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import {
  headerOf,
  preflight,
  readGitHubWebhook,
  type WebhookRequest,
  type WebhookResult,
} from '../../shared/git-tags/github-webhook';
import type { SecretSource, TagEventPublisher } from '../../shared/git-tags/ports';
import { lambdaStep, logger, metrics } from '../../shared/middleware/lambda-step';

export interface ReceiveGitHubWebhookDeps {
  secrets: SecretSource;
  publisher: TagEventPublisher;
  /** The Secrets Manager name (or ARN) of the webhook's secret. */
  secretName: string;
  /** Told what became of each delivery (the Lambda wiring counts outcomes as metrics). */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What the handler did with a delivery, for the outcome metric. */
export type WebhookOutcome = 'published' | 'ping' | 'ignored' | 'rejected' | 'unavailable' | 'failed';

const RESPONSE_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

function respond(statusCode: number, message: string, extra: Record<string, string> = {}): WebhookResponse {
  return { statusCode, headers: { ...RESPONSE_HEADERS, ...extra }, body: JSON.stringify({ message }) };
}

/**
 * API Gateway HTTP API (payload v2) endpoint for a GitHub webhook: a verified push of a new release tag
 * becomes one `Git Tag Created` event on the pipeline's bus. Never throws: a client mistake is a 4xx with the
 * reason (GitHub's delivery log shows it), a missing secret or an AWS failure a 503 (redeliver later), and
 * nothing reaches the error-mapping middleware that could turn a client mistake into a 500.
 */
export function createReceiveGitHubWebhook(deps: ReceiveGitHubWebhookDeps) {
  const receive = async (
    event: APIGatewayProxyEventV2,
  ): Promise<WebhookResponse & { outcome: WebhookOutcome }> => {
    const method = event?.requestContext?.http?.method;
    if (method !== 'POST')
      return { ...respond(405, 'only POST is accepted', { allow: 'POST' }), outcome: 'rejected' };

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
      logger.error('webhook secret unavailable', {
        delivery,
        errorName: nameOf(error),
        errorMessage: messageOf(error),
      });
      return {
        ...respond(503, 'the webhook secret is unavailable; redeliver later'),
        outcome: 'unavailable',
      };
    }

    const result = readGitHubWebhook(request, secret);
    if (result.kind !== 'tag') return answer(result, delivery);

    const { detail } = result;
    try {
      await deps.publisher.publish(detail);
    } catch (error) {
      logger.error('tag event not published', {
        delivery,
        repository: detail.repository,
        tag: detail.tag,
        errorName: nameOf(error),
        errorMessage: messageOf(error),
      });
      return { ...respond(503, 'the tag could not be queued; redeliver later'), outcome: 'unavailable' };
    }
    logger.info('tag event published', {
      delivery,
      repository: detail.repository,
      tag: detail.tag,
      commit: detail.commit,
    });
    return {
      ...respond(202, `tag ${detail.tag} of ${detail.repository} queued for release`),
      outcome: 'published',
    };
  };

  return async (event: APIGatewayProxyEventV2): Promise<WebhookResponse> => {
    let result: WebhookResponse & { outcome: WebhookOutcome };
    try {
      result = await receive(event);
    } catch (error) {
      // A bug, not a client mistake: no stack and no detail in the response, the log has the error's name.
      logger.error('webhook handling failed', { errorName: nameOf(error), errorMessage: messageOf(error) });
      result = { ...respond(500, 'internal error'), outcome: 'failed' };
    }
    const { outcome, ...response } = result;
    deps.onOutcome?.(outcome);
    return response;
  };
}

function answer(
  result: Exclude<WebhookResult, { kind: 'tag' }>,
  delivery: string | undefined,
): WebhookResponse & { outcome: WebhookOutcome } {
  switch (result.kind) {
    case 'ping':
      logger.info('webhook ping', { delivery });
      return { ...respond(200, 'pong'), outcome: 'ping' };
    case 'ignored':
      logger.info('webhook delivery ignored', { delivery, reason: result.reason });
      return { ...respond(200, `ignored: ${result.reason}`), outcome: 'ignored' };
    case 'rejected':
      logger.warn('webhook delivery rejected', { delivery, status: result.status, reason: result.reason });
      return { ...respond(result.status, result.reason), outcome: 'rejected' };
  }
}

/** GitHub's delivery id is a GUID; anything else is not logged. */
function safeDeliveryId(value: string | undefined): string | undefined {
  return value !== undefined && /^[0-9A-Za-z-]{1,64}$/.test(value) ? value : undefined;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'non-error thrown';
}

// ---------------------------------------------------------------------------------------------- wiring

/** The function's variables: the secret's name and the pipeline bus, validated at cold start. */
export function webhookEnvironment(env?: NodeJS.ProcessEnv) {
  const keys = ['GITHUB_WEBHOOK_SECRET_NAME', 'PIPELINE_EVENT_BUS_NAME'] as const;
  return env ? readRuntimeEnv(keys, env) : readRuntimeEnv(keys);
}

export const handler = lambdaStep('receive-github-webhook', () => {
  const env = webhookEnvironment();
  return createReceiveGitHubWebhook({
    secrets: new SecretsManagerSecretSource(),
    publisher: new EventBridgeTagEventPublisher({ busName: env.PIPELINE_EVENT_BUS_NAME }),
    secretName: env.GITHUB_WEBHOOK_SECRET_NAME,
    onOutcome: (outcome) => metrics.addMetric(`receive-github-webhook.${outcome}`, 'Count', 1),
  });
});
