import type { Clock } from '../../shared/clock';
import type { Notification } from '../../shared/notifications/notification';
import type { Notifier } from '../../shared/ports/notifications';

export interface LocalNotification extends Notification {
  /** When it was published (epoch ms, pipeline time). */
  at: number;
}

/**
 * The pipeline's SNS topic on one machine: notifications kept in memory, newest last, shown by the local
 * stack at `GET /api/notifications`. `failNext` makes the next publishes fail, as an unreachable topic
 * would, to show that a deployment carries on regardless.
 */
export class LocalNotifications implements Notifier {
  private readonly published: LocalNotification[] = [];
  private failures = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  async publish(notification: Notification): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('local notification topic unavailable (failNext)');
    }
    this.published.push({ ...structuredClone(notification), at: this.clock.now() });
  }

  /** The next `count` publishes fail. */
  failNext(count: number): void {
    this.failures += count;
  }

  list(): LocalNotification[] {
    return structuredClone(this.published);
  }

  /** `GET /api/notifications`: newest first, times as ISO 8601. */
  toJson(): { notifications: (Omit<LocalNotification, 'at'> & { at: string })[] } {
    return {
      notifications: [...this.published].reverse().map((n) => ({ ...n, at: new Date(n.at).toISOString() })),
    };
  }
}
