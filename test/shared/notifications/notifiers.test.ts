import { announcingApprovals } from '../../../shared/notifications/approval-announcer';
import { ChatWebhookNotifier, type WebhookFetch } from '../../../shared/notifications/chat-webhook-notifier';
import { stageStoppedNotification, type Notification } from '../../../shared/notifications/notification';
import { FanOutNotifier, notifyQuietly } from '../../../shared/notifications/notify-quietly';
import type { Notifier } from '../../../shared/ports/notifications';

const WEBHOOK_URL = 'https://hooks.example.com/services/T000/B000/secret-part';
const notification = stageStoppedNotification({
  executionName: 'release-orders-api-v1_4_0-4b825dc6',
  service: 'orders-api',
  version: 'v1.4.0',
  environment: 'prod',
  region: 'us-east-1',
  error: {
    name: 'AlarmBreached',
    message:
      'AlarmBreached: orders-api-prod-5xx in ALARM (in prod/us-east-1; rolled back: restored orders-api:7)',
  },
  rolledBack: true,
});

/** A fetch that records what it was asked and answers `status`, or throws `error`. */
function recordingFetch(answer: { status?: number; error?: Error } = {}) {
  const calls: { url: string; init: Parameters<WebhookFetch>[1] }[] = [];
  const fetch: WebhookFetch = async (url, init) => {
    calls.push({ url, init });
    if (answer.error) throw answer.error;
    const status = answer.status ?? 200;
    return { ok: status >= 200 && status < 300, status };
  };
  return { calls, fetch };
}

class RecordingNotifier implements Notifier {
  readonly published: Notification[] = [];
  constructor(private readonly failure?: Error) {}
  async publish(n: Notification): Promise<void> {
    if (this.failure) throw this.failure;
    this.published.push(n);
  }
}

describe('ChatWebhookNotifier', () => {
  it('when a notification is published, it POSTs Slack-compatible JSON text to the URL from the secret', async () => {
    // Prepare
    const { calls, fetch } = recordingFetch();
    const notifier = new ChatWebhookNotifier({ url: async () => WEBHOOK_URL, fetch });

    // Act
    await notifier.publish(notification);

    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(WEBHOOK_URL);
    expect(calls[0]!.init).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(calls[0]!.init.body)).toEqual({
      text: `*orders-api v1.4.0 rolled back in prod/us-east-1 (AlarmBreached)*\n${notification.text}`,
    });
  });

  it.each([
    ['the service answers 404', { status: 404 }, 'the chat webhook answered HTTP 404'],
    [
      'the network fails',
      { error: Object.assign(new Error('getaddrinfo ENOTFOUND'), { name: 'TypeError' }) },
      'the chat webhook could not be reached (TypeError)',
    ],
    [
      'the service does not answer in time',
      { error: Object.assign(new Error('aborted'), { name: 'TimeoutError' }) },
      'the chat webhook did not answer within 5000 ms',
    ],
  ])('when %s, it rejects without revealing the URL', async (_, answer, message) => {
    // Prepare
    const notifier = new ChatWebhookNotifier({
      url: async () => WEBHOOK_URL,
      fetch: recordingFetch(answer).fetch,
    });

    // Act
    const error = (await notifier.publish(notification).catch((e: unknown) => e)) as Error;

    // Assess
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('secret-part');
  });

  it('when the secret is not a URL, it refuses to post and says which secret to check', async () => {
    // Prepare
    const { calls, fetch } = recordingFetch();
    const notifier = new ChatWebhookNotifier({ url: async () => 'not-a-url', fetch });

    // Act / Assess
    await expect(notifier.publish(notification)).rejects.toThrow('check the chat webhook secret');
    expect(calls).toEqual([]);
  });
});

describe('FanOutNotifier and notifyQuietly', () => {
  it('when one channel fails, the others are still told and the failure names the channel', async () => {
    // Prepare
    const topic = new RecordingNotifier();
    const chat = new RecordingNotifier(new Error('the chat webhook answered HTTP 500'));
    const fanOut = new FanOutNotifier([
      { name: 'chat webhook', notifier: chat },
      { name: 'SNS topic', notifier: topic },
    ]);

    // Act
    const result = fanOut.publish(notification);

    // Assess
    await expect(result).rejects.toThrow(
      'notification not delivered to chat webhook: the chat webhook answered HTTP 500',
    );
    expect(topic.published).toEqual([notification]);
  });

  it('when publishing fails, notifyQuietly logs it and resolves false instead of throwing', async () => {
    // Prepare
    const warnings: { message: string; details: Record<string, unknown> }[] = [];
    const log = {
      warn: (message: string, details: Record<string, unknown>) => warnings.push({ message, details }),
    };

    // Act
    const delivered = await notifyQuietly(new RecordingNotifier(new Error('topic gone')), notification, log);

    // Assess
    expect(delivered).toBe(false);
    expect(warnings).toEqual([
      {
        message: 'notification not delivered; the step carries on',
        details: {
          notificationKind: 'stage-rolled-back',
          subject: notification.subject,
          errorName: 'Error',
          errorMessage: 'topic gone',
        },
      },
    ]);
  });
});

describe('announcingApprovals', () => {
  const view = {
    approvalId: 'opaque-id',
    executionName: 'release-orders-api-v1_4_0-4b825dc6',
    service: 'orders-api',
    version: 'v1.4.0',
    commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    digest: `sha256:${'3f7a9c'.repeat(10)}3f7a`,
    environment: 'prod',
    region: 'eu-west-1',
    approvers: ['release-manager@example.com', 'oncall-lead@example.com'],
    minApprovals: 1,
    allowSelfApproval: false,
    timeoutSeconds: 3600,
    status: 'pending' as const,
    createdAt: Date.UTC(2026, 10, 20, 12),
    expiresAt: Date.UTC(2026, 10, 20, 13),
    decisions: [],
    refusals: [],
  };

  it('when the approvers cannot be told, the step fails and nothing is announced', async () => {
    // Prepare
    const channels = new RecordingNotifier();
    const approvers = { notify: async () => Promise.reject(new Error('SES down')) };

    // Act / Assess
    await expect(
      announcingApprovals(approvers, channels, { warn: () => undefined }).notify(view),
    ).rejects.toThrow('SES down');
    expect(channels.published).toEqual([]);
  });

  it('when the approvers were told, it announces the wait once, without the approval id', async () => {
    // Prepare
    const channels = new RecordingNotifier();

    // Act
    await announcingApprovals({ notify: async () => undefined }, channels, { warn: () => undefined }).notify(
      view,
    );

    // Assess
    expect(channels.published).toHaveLength(1);
    expect(channels.published[0]!.text).toBe(
      'orders-api v1.4.0 (commit 4b825dc642cb) waits for approval in prod/eu-west-1.\n' +
        '1 of 2 approvers must approve by 2026-11-20T13:00:00.000Z; their links were emailed to them.\n' +
        'Execution: release-orders-api-v1_4_0-4b825dc6',
    );
    expect(JSON.stringify(channels.published)).not.toContain('opaque-id');
  });
});
