import * as z from 'zod';
import { eventEnvelopeSchema } from './event-envelope.schema';
import { lazySchema } from '../domain/lazy-schema';

export const ALARM_EVENT_SOURCE = 'aws.cloudwatch';
export const ALARM_EVENT_DETAIL_TYPE = 'CloudWatch Alarm State Change';

/**
 * CloudWatch writes state timestamps as `2019-10-02T17:04:40.989+0000` (no colon in the offset), which is
 * not ISO 8601's extended form: accepted as any time `Date.parse` reads.
 */
const alarmTimestamp = z
  .string()
  .max(64)
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a timestamp');

const alarmStateSchema = lazySchema(() =>
  z.object({
    value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    reason: z.string().max(4096).optional(),
    timestamp: alarmTimestamp,
  }),
);

/** `aws.cloudwatch` / `CloudWatch Alarm State Change`: an alarm (metric or composite) changed state. */
export const alarmStateChangeSchema = lazySchema(() =>
  eventEnvelopeSchema.extend({
    source: z.literal(ALARM_EVENT_SOURCE),
    'detail-type': z.literal(ALARM_EVENT_DETAIL_TYPE),
    detail: z.object({
      alarmName: z.string().min(1).max(255),
      state: alarmStateSchema,
      previousState: alarmStateSchema.optional(),
    }),
  }),
);
export type AlarmStateChange = z.infer<typeof alarmStateChangeSchema>;
