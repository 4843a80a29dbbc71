import type { TagCreatedDetail } from '../git-tags/tag-created.schema';

/**
 * The ports of the tag intake (the secret the webhook is verified with comes through `SecretSource`,
 * `./secrets.ts`); `shared/aws/` implements them with SDK v3 clients.
 */

/** Puts a `Git Tag Created` event on the pipeline's event bus. Rejects when the event was not accepted. */
export interface TagEventPublisher {
  publish(detail: TagCreatedDetail): Promise<void>;
}
