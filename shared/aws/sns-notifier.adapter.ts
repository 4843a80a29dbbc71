import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notification } from '../notifications/notification';
import type { Notifier } from '../ports/notifications';
import { awsClient } from './aws-clients';
import { mapAwsError } from './aws-errors';

export interface SnsNotifierOptions {
  topicArn: string;
  /** A ready client (tests); by default the container's client in the topic's region. */
  client?: SNSClient;
}

/**
 * Publishes notifications to the pipeline's SNS topic: the subject as the email subject, the text as the
 * message, and kind, service, environment and region as message attributes that subscriptions can filter
 * on (e.g. only `prod` failures to the on-call pager). The topic is a standard one: SNS deduplicates only
 * on FIFO topics, so a retried step may publish twice (at least once).
 */
export class SnsNotifier implements Notifier {
  private readonly client: () => SNSClient;

  constructor(private readonly options: SnsNotifierOptions) {
    const client = options.client;
    this.client = () => client ?? awsClient(SNSClient, options.topicArn.split(':')[3] ?? '');
  }

  async publish(notification: Notification): Promise<void> {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    try {
      await this.client().send(
        new PublishCommand({
          TopicArn: this.options.topicArn,
          Subject: notification.subject,
          Message: notification.text,
          MessageAttributes: {
            kind: attribute(notification.kind),
            service: attribute(notification.service),
            environment: attribute(notification.environment),
            region: attribute(notification.region),
          },
        }),
      );
    } catch (error) {
      throw mapAwsError(error, `SNS Publish to ${this.options.topicArn}`);
    }
  }
}
