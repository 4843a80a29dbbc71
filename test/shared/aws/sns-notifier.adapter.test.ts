import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotifier } from '../../../shared/aws/sns-notifier.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import { stageStoppedNotification } from '../../../shared/notifications/notification';
import { unmodelledSdkError } from '../../helpers/sdk-errors';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ecs-promotion-pipeline-prod-notifications';
const notification = stageStoppedNotification({
  executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
  service: 'orders-api',
  version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  environment: 'ppe',
  region: 'eu-west-1',
  error: { name: 'SmokeTestFailed', message: 'SmokeTestFailed: health: expected status 200, got 503' },
  rolledBack: true,
});

describe('SnsNotifier', () => {
  const sns = mockClient(SNSClient);
  const notifier = new SnsNotifier({ topicArn: TOPIC, client: new SNSClient({ region: 'eu-west-1' }) });

  beforeEach(() => sns.reset());

  it('when a notification is published, it sends subject, text and filterable attributes to the topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await notifier.publish(notification);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toReceiveCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: 'orders-api sha-4b825dc642cb rolled back in ppe/eu-west-1 (SmokeTestFailed)',
      Message: notification.text,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'stage-rolled-back' },
        service: { DataType: 'String', StringValue: 'orders-api' },
        environment: { DataType: 'String', StringValue: 'ppe' },
        region: { DataType: 'String', StringValue: 'eu-west-1' },
      },
    });
  });

  it('when SNS throttles, it rejects with a transient error naming the topic', async () => {
    // Prepare
    sns
      .on(PublishCommand)
      .rejects(unmodelledSdkError(SNSServiceException, 'ThrottledException', { message: 'Rate exceeded' }));

    // Act
    const result = notifier.publish(notification);

    // Assess
    await expect(result).rejects.toThrow(AwsTransientError);
    await expect(result).rejects.toThrow(TOPIC);
  });
});
