import * as z from 'zod';
import { eventEnvelopeSchema } from './event-envelope.schema';
import { lazySchema } from '../domain/lazy-schema';

/** `aws.ecr` / `ECR Image Action`, sent for every push and delete, successful or not. */
export const ecrImageActionSchema = lazySchema(() =>
  eventEnvelopeSchema.extend({
    source: z.literal('aws.ecr'),
    'detail-type': z.literal('ECR Image Action'),
    detail: z.object({
      'action-type': z.string(),
      result: z.string(),
      'repository-name': z.string().min(1).max(256),
      'image-digest': z.string().optional(),
      'image-tag': z.string().max(300).optional(),
    }),
  }),
);
export type EcrImageAction = z.infer<typeof ecrImageActionSchema>;
