import * as z from 'zod';
import { eventEnvelopeSchema } from './event-envelope.schema';
import { lazySchema } from '../domain/lazy-schema';
import type { MigrationTaskView } from '../ports/migrations';

/**
 * `aws.ecs` / `ECS Task State Change`: how ECS tells that a task changed state. The migration rule only
 * forwards STOPPED tasks the pipeline started (`startedBy` prefix); times are ISO 8601 strings.
 */
export const ecsTaskStateChangeSchema = lazySchema(() =>
  eventEnvelopeSchema.extend({
    source: z.literal('aws.ecs'),
    'detail-type': z.literal('ECS Task State Change'),
    detail: z.object({
      taskArn: z.string().min(1).max(2048),
      lastStatus: z.string().min(1).max(64),
      startedBy: z.string().max(128).optional(),
      group: z.string().max(2048).optional(),
      stopCode: z.string().max(256).optional(),
      stoppedReason: z.string().max(4096).optional(),
      createdAt: z.string().optional(),
      startedAt: z.string().optional(),
      stoppedAt: z.string().optional(),
      overrides: z
        .object({
          containerOverrides: z
            .array(z.object({ name: z.string(), command: z.array(z.string()).optional() }))
            .optional(),
        })
        .optional(),
      containers: z
        .array(
          z.object({
            name: z.string(),
            exitCode: z.number().int().optional(),
            reason: z.string().max(4096).optional(),
            lastStatus: z.string().optional(),
          }),
        )
        .max(100)
        .default([]),
    }),
  }),
);
export type EcsTaskStateChange = z.infer<typeof ecsTaskStateChangeSchema>;

/** The task as the migration use case reads it; the migration container is the one whose command was set. */
export function taskViewOf(event: EcsTaskStateChange): MigrationTaskView {
  const d = event.detail;
  const name = d.overrides?.containerOverrides?.find((c) => c.command)?.name;
  const main = d.containers.find((c) => c.name === name) ?? d.containers[0];
  const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
  const createdAt = ms(d.createdAt);
  const startedAt = ms(d.startedAt);
  const stoppedAt = ms(d.stoppedAt);
  return {
    taskArn: d.taskArn,
    lastStatus: d.lastStatus,
    ...(d.startedBy !== undefined && { startedBy: d.startedBy }),
    ...(createdAt !== undefined && !Number.isNaN(createdAt) && { createdAt }),
    ...(startedAt !== undefined && !Number.isNaN(startedAt) && { startedAt }),
    ...(stoppedAt !== undefined && !Number.isNaN(stoppedAt) && { stoppedAt }),
    ...(d.stopCode !== undefined && { stopCode: d.stopCode }),
    ...(d.stoppedReason !== undefined && { stoppedReason: d.stoppedReason }),
    ...(main?.exitCode !== undefined && { exitCode: main.exitCode }),
    ...(main?.reason !== undefined && { containerReason: main.reason }),
  };
}
