import { EventBridgeTagEventPublisher } from '../../shared/aws/event-publisher.adapter';
import { SecretsManagerSecretSource } from '../../shared/aws/secrets.adapter';
import { serviceOfGitRepository } from '../../shared/config/git-repository';
import { readRuntimeEnv } from '../../shared/config/runtime-env';
import { httpHandler, httpRoute } from '../../shared/middleware/http-handler';
import { metrics } from '../../shared/middleware/lambda-step';
import { pipelineConfig } from '../../shared/wiring/pipeline-config';
import { receiveDelivery, WEBHOOK_HEADERS, type DeliveryDeps, type WebhookOutcome } from './webhook-http';

export type { WebhookOutcome } from './webhook-http';

export interface ReceiveGitHubWebhookDeps extends DeliveryDeps {
  /** Told what became of each delivery (the Lambda wiring counts outcomes as metrics). */
  onOutcome?: (outcome: WebhookOutcome) => void;
}

/**
 * API Gateway HTTP API (payload v2) endpoint for a GitHub webhook: a verified push of a new release tag
 * becomes one `Git Tag Created` event on the pipeline's bus. Never throws: a client mistake is a 4xx with the
 * reason (GitHub's delivery log shows it), a missing secret or an AWS failure a 503 (redeliver later), a bug
 * a bare 500 with no detail.
 */
export function createReceiveGitHubWebhook(deps: ReceiveGitHubWebhookDeps) {
  return httpRoute(
    {
      headers: WEBHOOK_HEADERS,
      failure: {
        body: JSON.stringify({ message: 'internal error' }),
        outcome: 'failed',
        logMessage: 'webhook handling failed',
      },
      ...(deps.onOutcome && { onOutcome: deps.onOutcome }),
    },
    (event) => receiveDelivery(event, deps),
  );
}

// ---------------------------------------------------------------------------------------------- wiring

/** The function's variables: the secret's name and the pipeline bus, validated at cold start. */
export function webhookEnvironment(env?: NodeJS.ProcessEnv) {
  const keys = ['GITHUB_WEBHOOK_SECRET_NAME', 'PIPELINE_EVENT_BUS_NAME'] as const;
  return env ? readRuntimeEnv(keys, env) : readRuntimeEnv(keys);
}

export const handler = httpHandler('receive-github-webhook', () => {
  const env = webhookEnvironment();
  const config = pipelineConfig();
  return createReceiveGitHubWebhook({
    secrets: new SecretsManagerSecretSource(),
    publisher: new EventBridgeTagEventPublisher({ busName: env.PIPELINE_EVENT_BUS_NAME }),
    secretName: env.GITHUB_WEBHOOK_SECRET_NAME,
    releasesService: (repository) => serviceOfGitRepository(config, repository) !== undefined,
    onOutcome: (outcome) => metrics.addMetric(`receive-github-webhook.${outcome}`, 'Count', 1),
  });
});
