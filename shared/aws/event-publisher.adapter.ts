import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AwsTransientError } from '../domain/errors';
import type { TagEventPublisher } from '../ports/git-tags';
import {
  TAG_EVENT_DETAIL_TYPE,
  TAG_EVENT_SOURCE,
  tagCreatedDetailSchema,
  type TagCreatedDetail,
} from '../git-tags/tag-created.schema';
import { awsClient } from './aws-clients';
import { mapAwsError } from './aws-errors';

export interface EventBridgeTagEventPublisherOptions {
  /** The pipeline's event bus: its name or ARN. */
  busName: string;
  /** A ready client (tests); by default the container's client in the SDK's region (AWS_REGION in Lambda). */
  client?: EventBridgeClient;
}

/**
 * Puts `Git Tag Created` events on the pipeline's event bus with PutEvents. PutEvents answers 200 even when
 * it rejected the entry, so a `FailedEntryCount` above zero is checked and reported as an AwsTransientError
 * (EventBridge fails entries for throttling and internal errors): the caller tells the sender to retry.
 */
export class EventBridgeTagEventPublisher implements TagEventPublisher {
  private readonly client: () => EventBridgeClient;
  private readonly busName: string;

  constructor(options: EventBridgeTagEventPublisherOptions) {
    if (options.busName.trim() === '')
      throw new Error('EventBridgeTagEventPublisher needs an event bus name');
    const client = options.client;
    this.client = () => client ?? awsClient(EventBridgeClient);
    this.busName = options.busName;
  }

  async publish(detail: TagCreatedDetail): Promise<void> {
    // The bus's contract: consumers rely on this schema, so nothing else is put on it.
    const valid = tagCreatedDetailSchema.parse(detail);
    const context = `EventBridge PutEvents of tag ${valid.tag} of ${valid.repository} to ${this.busName}`;
    let response;
    try {
      response = await this.client().send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.busName,
              Source: TAG_EVENT_SOURCE,
              DetailType: TAG_EVENT_DETAIL_TYPE,
              Detail: JSON.stringify(valid),
            },
          ],
        }),
      );
    } catch (error) {
      throw mapAwsError(error, context);
    }
    if ((response.FailedEntryCount ?? 0) > 0) {
      const entry = response.Entries?.[0];
      const code = entry?.ErrorCode ?? 'unknown error';
      throw new AwsTransientError(`${context} failed for the entry (${code}); safe to retry later`);
    }
  }
}
