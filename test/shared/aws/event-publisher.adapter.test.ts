import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { rejectionOf } from '../../support/fakes';
import { EventBridgeTagEventPublisher } from '../../../shared/aws/event-publisher.adapter';
import { AwsTransientError } from '../../../shared/domain/errors';
import type { TagCreatedDetail } from '../../../shared/git-tags/tag-created.schema';
import { unmodelledSdkError } from '../../helpers/sdk-errors';

const BUS = 'ecs-promotion-pipeline-prod';
const DETAIL: TagCreatedDetail = {
  repository: 'example-org/orders-api',
  tag: 'v1.4.0',
  commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  createdBy: 'jane-doe',
  origin: 'github',
};

describe('EventBridgeTagEventPublisher', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const publisher = new EventBridgeTagEventPublisher({
    busName: BUS,
    client: new EventBridgeClient({ region: 'eu-west-1' }),
  });

  beforeEach(() => eventBridge.reset());

  it('when EventBridge accepts the entry, it puts exactly one Git Tag Created event on the pipeline bus', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    await publisher.publish(DETAIL);

    // Assess
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 1);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: 'ecs-promotion-pipeline.git',
          DetailType: 'Git Tag Created',
          Detail: JSON.stringify(DETAIL),
        },
      ],
    });
  });

  it('when the entry failed (FailedEntryCount 1), it throws AwsTransientError with the error code', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });

    // Act
    const error = await rejectionOf(publisher.publish(DETAIL));

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.message).toBe(
      `EventBridge PutEvents of tag v1.4.0 of example-org/orders-api to ${BUS} failed for the entry (ThrottlingException); safe to retry later`,
    );
  });

  it('when EventBridge fails on its side, it throws AwsTransientError', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).rejects(
      unmodelledSdkError(EventBridgeServiceException, 'InternalException', {
        status: 500,
        message: 'internal',
      }),
    );

    // Act
    const error = await rejectionOf(publisher.publish(DETAIL));

    // Assess
    expect(error).toBeInstanceOf(AwsTransientError);
  });

  it('when the bus does not exist, it passes the error on unchanged', async () => {
    // Prepare
    const notFound = unmodelledSdkError(EventBridgeServiceException, 'ResourceNotFoundException', {
      message: 'Event bus ecs-promotion-pipeline-prod does not exist.',
    });
    eventBridge.on(PutEventsCommand).rejects(notFound);

    // Act
    const error = await rejectionOf(publisher.publish(DETAIL));

    // Assess
    expect(error).toBe(notFound);
  });

  it('when the detail breaks the bus contract, it puts nothing', async () => {
    // Prepare
    const bad = { ...DETAIL, commit: 'abc' };

    // Act
    const error = await rejectionOf(publisher.publish(bad));

    // Assess
    expect(error.name).toBe('ZodError');
    expect(eventBridge).toReceiveCommandTimes(PutEventsCommand, 0);
  });

  it('when built without a bus name, it refuses to start', () => {
    // Act
    const build = () => new EventBridgeTagEventPublisher({ busName: ' ' });

    // Assess
    expect(build).toThrow('EventBridgeTagEventPublisher needs an event bus name');
  });
});
