import * as z from 'zod';
import { eventEnvelopeSchema } from './event-envelope.schema';
import { lazySchema } from '../domain/lazy-schema';

/** `aws.ecs` / `ECS Deployment State Change`: how ECS tells that a service deployment finished. */
export const ecsDeploymentStateChangeSchema = lazySchema(() =>
  eventEnvelopeSchema.extend({
    source: z.literal('aws.ecs'),
    'detail-type': z.literal('ECS Deployment State Change'),
    detail: z.object({
      eventType: z.string(),
      eventName: z.string(),
      deploymentId: z.string().min(1).max(256),
      updatedAt: z.string().optional(),
      reason: z.string().max(2048).optional(),
    }),
  }),
);
export type EcsDeploymentStateChange = z.infer<typeof ecsDeploymentStateChangeSchema>;
