import { readRuntimeEnv } from '../../shared/config/runtime-env';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EventBridgeTagEventPublisher } from '../../shared/aws/event-publisher.adapter';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import {
  errorFields,
  receiveTagWebhook,
  type ReceiveTagWebhookDeps,
} from '../../shared/git-tags/receive-tag-webhook';
import { lambdaStep, logger, metrics } from '../../shared/middleware/lambda-step';
import {
  respond,
  webhookAnswer,
  type WebhookAnswer,
  type WebhookOutcome,
  type WebhookResponse,
} from './webhook-response';

export type { WebhookOutcome, WebhookResponse } from './webhook-response';

export interface ReceiveGitHubWebhookDeps extends Omit<ReceiveTagWebhookDeps, 'log'> {
  /** Told what became of each delivery (the Lambda wiring counts outcomes as metrics). */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

/**
 * API Gateway HTTP API (payload v2) endpoint for a GitHub webhook ({@link receiveTagWebhook}). Never throws:
 * a client mistake is a 4xx with the reason (GitHub's delivery log shows it), a missing secret or an AWS
 * failure a 503 (redeliver later), and nothing reaches the error-mapping middleware that could turn a
 * client mistake into a 500.
 */
export function createReceiveGitHubWebhook(deps: ReceiveGitHubWebhookDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<WebhookResponse> => {
    let answer: WebhookAnswer;
    try {
      if (event?.requestContext?.http?.method !== 'POST')
        answer = respond('rejected', 405, 'only POST is accepted', { allow: 'POST' });
      else {
        const request = {
          headers: event.headers ?? {},
          body: typeof event.body === 'string' ? event.body : '',
          isBase64Encoded: event.isBase64Encoded === true,
        };
        answer = webhookAnswer(await receiveTagWebhook(request, { ...deps, log: logger }));
      }
    } catch (error) {
      // A bug, not a client mistake: no stack and no detail in the response, the log has the error's name.
      logger.error('webhook handling failed', errorFields(error));
      answer = respond('failed', 500, 'internal error');
    }
    const { outcome, ...response } = answer;
    deps.onOutcome?.(outcome);
    return response;
  };
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
