import type { TagCreatedDetail } from './tag-created.schema';

/**
 * The ports of the tag intake. They live here rather than in `shared/domain/ports.ts` because only the tag
 * receivers use them; `shared/aws/` implements them with SDK v3 clients.
 */

/** Reads a secret by name. Rejects when the secret is missing, empty or unreadable. */
export interface SecretSource {
  get(name: string): Promise<string>;
}

/** Puts a `Git Tag Created` event on the pipeline's event bus. Rejects when the event was not accepted. */
export interface TagEventPublisher {
  publish(detail: TagCreatedDetail): Promise<void>;
}
