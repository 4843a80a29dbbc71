import * as z from 'zod';
import { lazySchema } from '../domain/lazy-schema';

/** The EventBridge envelope every event the pipeline receives arrives in. */
export const eventEnvelopeSchema = lazySchema(() =>
  z.object({
    version: z.string().optional(),
    id: z.string().min(1).max(256),
    'detail-type': z.string().min(1).max(256),
    source: z.string().min(1).max(256),
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    time: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' }),
    region: z.string().min(1).max(32),
    resources: z.array(z.string()).default([]),
    detail: z.record(z.string(), z.unknown()),
  }),
);
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** Thrown for an event the pipeline cannot read at all; carries where and what. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEvent';
}

/** Parses with `schema` and turns zod's issues into one line naming each bad field. */
export function parseEvent<T extends z.ZodType>(schema: T, event: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
  throw new MalformedEventError(`malformed ${what}: ${problems.join('; ')}`);
}
