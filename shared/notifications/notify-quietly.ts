import type { Notification } from './notification';
import type { Notifier } from '../ports/notifications';

/** The part of a logger notifications need (Powertools' Logger is one). */
export interface NotificationLog {
  warn(message: string, details: Record<string, unknown>): void;
}

/**
 * Publishes a notification without ever failing the caller: a deployment step must not fail, or be retried,
 * because a topic or a chat service is unavailable. The failure is logged (with the notification's kind and
 * subject, so the message can be found) and the step carries on.
 */
export async function notifyQuietly(
  notifier: Notifier,
  notification: Notification,
  log: NotificationLog,
): Promise<boolean> {
  try {
    await notifier.publish(notification);
    return true;
  } catch (error) {
    const { name, message } = error as Error;
    log.warn('notification not delivered; the step carries on', {
      notificationKind: notification.kind,
      subject: notification.subject,
      errorName: name,
      errorMessage: message,
    });
    return false;
  }
}

/** Nobody to tell: the notifier of a pipeline without notification channels. */
export const silentNotifier: Notifier = { publish: async () => undefined };

/**
 * Publishes to every channel, each independently: one channel's failure does not keep the others from
 * being told. Rejects after all were tried, naming the channels that failed.
 */
export class FanOutNotifier implements Notifier {
  constructor(private readonly channels: { name: string; notifier: Notifier }[]) {}

  async publish(notification: Notification): Promise<void> {
    const outcomes = await Promise.allSettled(this.channels.map((c) => c.notifier.publish(notification)));
    const failed = outcomes.flatMap((outcome, i) =>
      outcome.status === 'rejected'
        ? [`${this.channels[i]!.name}: ${(outcome.reason as Error).message ?? String(outcome.reason)}`]
        : [],
    );
    if (failed.length > 0) throw new Error(`notification not delivered to ${failed.join('; ')}`);
  }
}
