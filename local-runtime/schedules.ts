/**
 * The local counterparts of the pipeline's schedule rules (sweep-deployments every minute,
 * reconcile-images every few): a target invoked on a period of pipeline time until the stack closes.
 */
import type { Clock } from '../shared/clock';

export interface Schedule {
  /** The function the schedule invokes, by its handler name (`sweepDeployments`, `reconcileImages`). */
  target: string;
  /** The period, in pipeline time. */
  everyMs: number;
}

/**
 * Invokes `schedule.target` with `{}` every `everyMs` until `stop` aborts; a failed invocation is left to
 * the next one, as a scheduled Lambda's would be.
 */
export async function runSchedule(
  schedule: Schedule,
  deps: {
    clock: Clock;
    invoke: (target: string, event: unknown) => Promise<unknown>;
    stop: AbortSignal;
  },
): Promise<void> {
  for (;;) {
    try {
      await deps.clock.sleep(schedule.everyMs, deps.stop);
    } catch {
      return;
    }
    await deps.invoke(schedule.target, {}).catch(() => undefined);
  }
}
