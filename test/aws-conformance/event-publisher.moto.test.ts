import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeArchiveCommand,
  EventBridgeClient,
} from '@aws-sdk/client-eventbridge';
import { EventBridgeTagEventPublisher } from '../../shared/aws/event-publisher.adapter';
import { patternFor } from '../../shared/event-rules';
import { tagCreatedEventSchema, type TagCreatedDetail } from '../../shared/git-tags/tag-created.schema';
import { sampleConfig } from '../support/fixtures';
import { startMotoServer, type MotoServer } from '../support/moto-server';

/**
 * The tag event publisher (shared/aws/event-publisher.adapter.ts) against moto's EventBridge: what it puts
 * on the pipeline's bus must match the pattern of the rule that starts releases (shared/event-rules.ts, the
 * one serverless.yml deploys). moto evaluates the pattern itself; an archive with the rule's pattern stands
 * for the rule, and moto's model data shows the events the archive kept.
 */
const REGION = 'eu-west-1';
const BUS = 'ecs-promotion-pipeline-prod';
const DETAIL: TagCreatedDetail = {
  repository: 'example-org/orders-api',
  tag: 'v1.4.0',
  commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  createdBy: 'jane-doe',
  origin: 'github',
};

let moto: MotoServer;
let setup: EventBridgeClient;
let busArn: string;
beforeAll(async () => {
  moto = await startMotoServer();
  setup = new EventBridgeClient(moto.clientConfig(REGION));
  busArn = (await setup.send(new CreateEventBusCommand({ Name: BUS }))).EventBusArn ?? '';
  const pattern = JSON.stringify(patternFor(sampleConfig(), 'gitTagCreated'));
  for (const [ArchiveName, EventSourceArn] of [
    ['start-release-rule', busArn],
    ['default-bus', `arn:aws:events:${REGION}:${busArn.split(':')[4]}:event-bus/default`],
  ] as const)
    await setup.send(new CreateArchiveCommand({ ArchiveName, EventSourceArn, EventPattern: pattern }));
}, 90_000);
afterAll(async () => {
  setup?.destroy();
  await moto?.stop();
});

/** The events an archive kept, from moto's model data (GET /moto-api/data.json). */
async function archivedEvents(archiveName: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${moto.endpoint}/moto-api/data.json`);
  const data = (await response.json()) as {
    events?: { Archive?: { name: string; events: Record<string, unknown>[] }[] };
  };
  return data.events?.Archive?.find((archive) => archive.name === archiveName)?.events ?? [];
}

describe('tag event publisher against moto (EventBridge PutEvents)', () => {
  it('when a tag is published by bus name or ARN, the start-release rule on the pipeline bus matches it, detail intact', async () => {
    // Prepare
    const client = moto.adapterClient('event-publisher.adapter', EventBridgeClient, REGION);
    const byName = new EventBridgeTagEventPublisher({ busName: BUS, client });
    const byArn = new EventBridgeTagEventPublisher({ busName: busArn, client });

    // Act
    await byName.publish(DETAIL);
    await byArn.publish({ ...DETAIL, tag: 'v1.4.1', allowDowngrade: false });

    // Assess
    const kept = await archivedEvents('start-release-rule');
    // What start-release parses. moto writes `time` in epoch seconds where AWS writes ISO 8601
    // (docs/aws-conformance.md); everything else is read as delivered.
    const parsed = kept.map((event) =>
      tagCreatedEventSchema.parse({ ...event, time: new Date(Number(event.time) * 1000).toISOString() }),
    );
    expect(parsed.map((event) => [event.region, event.detail])).toEqual([
      [REGION, DETAIL],
      [REGION, { ...DETAIL, tag: 'v1.4.1', allowDowngrade: false }],
    ]);
    const count = async (ArchiveName: string) =>
      (await setup.send(new DescribeArchiveCommand({ ArchiveName }))).EventCount;
    expect([await count('start-release-rule'), await count('default-bus')]).toEqual([2, 0]);
  });
});
