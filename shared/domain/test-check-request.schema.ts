import * as z from 'zod';
import { lazySchema } from './lazy-schema';
import { smokeCheckResultSchema } from './stage-run.schema';
import { testCheckSchema } from './traffic-shift-hook';

/**
 * What the traffic shift hook asks the smoke-test function when the region has a `smokeTestVpc`: run these
 * test checks against `endpoint` (a test listener that may be reachable only from that VPC). `request` tells
 * it apart from a stage run, the function's other input.
 */
export const testCheckRequestSchema = lazySchema(() =>
  z.object({
    request: z.literal('test-checks'),
    endpoint: z.string().min(1),
    checks: z.array(testCheckSchema).min(1),
  }),
);
export type TestCheckRequest = z.infer<typeof testCheckRequestSchema>;

/** The function's answer: one result per check, in the order asked (the smoke checks' result fields). */
export const testCheckAnswerSchema = lazySchema(() => z.object({ results: z.array(smokeCheckResultSchema) }));
export type TestCheckAnswer = z.infer<typeof testCheckAnswerSchema>;

/** Whether an event is a test check request (its `request` field says so), not a stage run. */
export function isTestCheckRequest(event: unknown): boolean {
  return (
    typeof event === 'object' && event !== null && (event as { request?: unknown }).request === 'test-checks'
  );
}
