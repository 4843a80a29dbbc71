import { SecretsManagerSecretSource } from '../aws/secrets.adapter';
import { SnsNotifier } from '../aws/sns-notifier.adapter';
import { readRuntimeEnv } from '../config/runtime-env';
import { ChatWebhookNotifier } from '../notifications/chat-webhook-notifier';
import { FanOutNotifier } from '../notifications/notify-quietly';
import type { Notifier } from '../ports/notifications';
import { pipelineConfig } from './pipeline-config';

/**
 * The pipeline's notification channels in AWS: its SNS topic, and the chat webhook when
 * `notifications.chatWebhook` is on. Built on the first notification, so a missing variable or secret
 * fails that notification (logged by the caller), never the step that sends it.
 */
export function awsNotifier(): Notifier {
  let channels: Notifier | undefined;
  return {
    publish: async (notification) => {
      channels ??= buildChannels();
      await channels.publish(notification);
    },
  };
}

function buildChannels(): Notifier {
  const env = readRuntimeEnv(['NOTIFICATION_TOPIC_ARN', 'CHAT_WEBHOOK_SECRET_NAME']);
  const channels: { name: string; notifier: Notifier }[] = [
    { name: 'SNS topic', notifier: new SnsNotifier({ topicArn: env.NOTIFICATION_TOPIC_ARN }) },
  ];
  if (pipelineConfig().notifications.chatWebhook) {
    const secrets = new SecretsManagerSecretSource();
    channels.push({
      name: 'chat webhook',
      notifier: new ChatWebhookNotifier({ url: () => secrets.get(env.CHAT_WEBHOOK_SECRET_NAME) }),
    });
  }
  return new FanOutNotifier(channels);
}
