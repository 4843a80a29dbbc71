import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../../shared/aws/sns-notifier.adapter';
import { stageStoppedNotification } from '../../shared/notifications/notification';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The notifier (shared/aws/sns-notifier.adapter.ts) against moto's SNS: a topic with two HTTP subscriptions
 * on loopback, one of them filtered on the message attributes the notifier sets, as an on-call pager
 * subscription would be. moto delivers to HTTP endpoints while it answers Publish.
 */
const REGION = 'eu-west-1';

let moto: MotoServer;
let endpoint: Server;
let topicArn: string;
/** The JSON bodies SNS posted, by the path of the subscription. */
const delivered = new Map<string, { Subject?: string; Message: string; TopicArn: string }[]>();

beforeAll(async () => {
  moto = await startMotoServer();
  endpoint = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const list = delivered.get(request.url ?? '') ?? [];
      list.push(JSON.parse(body) as { Message: string; TopicArn: string });
      delivered.set(request.url ?? '', list);
      response.end();
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;

  const setup = new SNSClient(moto.clientConfig(REGION));
  const topic = await setup.send(
    new CreateTopicCommand({ Name: 'ecs-promotion-pipeline-prod-notifications' }),
  );
  topicArn = topic.TopicArn ?? '';
  await setup.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: `${base}/everything` }),
  );
  await setup.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'http',
      Endpoint: `${base}/production-pager`,
      Attributes: {
        FilterPolicy: JSON.stringify({ environment: ['production'], kind: ['stage-failed'] }),
      },
    }),
  );
  setup.destroy();
}, 90_000);
afterAll(async () => {
  endpoint?.closeAllConnections();
  await new Promise((resolve) => endpoint?.close(resolve));
  await moto?.stop();
});

const stopped = (environment: string, rolledBack: boolean) =>
  stageStoppedNotification({
    executionName: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
    service: 'orders-api',
    version: 'v1.4.0',
    environment,
    region: REGION,
    error: { name: 'SmokeTestFailed', message: 'SmokeTestFailed: health: expected status 200, got 503' },
    rolledBack,
  });

describe('SNS notifier against moto (SNS Publish)', () => {
  it('when stages stop, every subscriber gets subject and text; a filter on the attributes picks the production failure', async () => {
    // Prepare
    const notifier = new SnsNotifier({
      topicArn,
      client: moto.adapterClient('sns-notifier.adapter', SNSClient, REGION),
    });
    const failedInProduction = stopped('production', false);
    const rolledBackInStaging = stopped('staging', true);

    // Act
    await notifier.publish(rolledBackInStaging);
    await notifier.publish(failedInProduction);

    // Assess
    expect(delivered.get('/everything')?.map((m) => [m.TopicArn, m.Subject, m.Message])).toEqual([
      [topicArn, rolledBackInStaging.subject, rolledBackInStaging.text],
      [topicArn, failedInProduction.subject, failedInProduction.text],
    ]);
    expect(delivered.get('/production-pager')?.map((m) => m.Subject)).toEqual([failedInProduction.subject]);
  });
});
