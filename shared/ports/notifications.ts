import type { Notification } from '../notifications/notification';

/**
 * Where notifications go: the pipeline's SNS topic (`shared/aws/sns-notifier.adapter.ts`), a chat webhook
 * (`shared/notifications/chat-webhook-notifier.ts`), several at once (`FanOutNotifier`), or memory in the local runtime
 * (`local-runtime/adapters/local-notifications.ts`). Rejects when the notification could not be delivered;
 * callers in deployment steps use `notifyQuietly` so that it never fails a deployment.
 */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}
