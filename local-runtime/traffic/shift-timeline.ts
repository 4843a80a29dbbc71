/**
 * Reads a traffic shift's timeline from what the local stack already records: the load balancers' events
 * (LocalLoadBalancers.observe), the shift log's judged windows and the execution's history. Two questions
 * a benchmark asks of it: how fast traffic went back to blue after the hook's verdict (local wall clock),
 * and what each step cost the state machine and the hook (flat in the step's length when the stage waits
 * by callback instead of polling).
 */
import type { HistoryEvent } from '../engine';
import type { StepRecord } from '../../shared/domain/traffic-shift';
import type { LoadBalancerEvent } from './local-load-balancers';

/** A load balancer event; a weight of 0 also says when green's last open request was answered. */
export type ObservedLoadBalancerEvent = LoadBalancerEvent & { greenDrainedWallMs?: number };

export interface SwitchBack {
  /** The stack's clock at the verdict (the hook's metrics read of the failing window). */
  verdictAt: number;
  /** The wall clock (performance.now()) at the verdict. */
  verdictWallMs: number;
  /** Wall ms from the verdict to the load balancer's acknowledgement of 0% green. */
  verdictToSwitchMs: number;
  /** Wall ms from the verdict to 100% on blue: 0% green and green's last request answered. */
  verdictToAllBlueMs?: number;
}

/**
 * The switch back to blue in one load balancer's events, in the order they happened: the first weight of
 * 0 after green had traffic, timed from the metrics read just before it (the hook judges and switches in
 * the same call, right after reading). Undefined when green never went back to 0, or no read preceded it.
 */
export function switchBack(events: readonly ObservedLoadBalancerEvent[]): SwitchBack | undefined {
  let greenHadTraffic = false;
  let lastRead: ObservedLoadBalancerEvent | undefined;
  for (const event of events) {
    if (event.kind === 'sample') {
      lastRead = event;
      continue;
    }
    if (event.greenPercent > 0) greenHadTraffic = true;
    else if (greenHadTraffic) {
      if (!lastRead) return undefined;
      return {
        verdictAt: lastRead.at,
        verdictWallMs: lastRead.wallMs,
        verdictToSwitchMs: event.wallMs - lastRead.wallMs,
        ...(event.greenDrainedWallMs !== undefined && {
          verdictToAllBlueMs: event.greenDrainedWallMs - lastRead.wallMs,
        }),
      };
    }
  }
  return undefined;
}

/** One step of a shift: how long green was watched, and what the state machine and the hook did meanwhile. */
export interface StepActivity {
  step: number;
  percent: number;
  /** The step's span on the stack's clock: from green getting its weight to its last verdict. */
  from: number;
  to: number;
  /** The last verdict of the step. */
  outcome: StepRecord['outcome'];
  /** Judged windows in the shift log (1, plus one per extension). */
  windows: number;
  /** The hook's metrics reads for the step, as the load balancer saw them (one per judging call). */
  hookReads: number;
  /** States the execution entered while green was at this step (its state transitions, from its history). */
  statesEntered: number;
}

/**
 * Each step of a shift from its judged windows (the shift log's records), with the hook's reads of the
 * step's window (a read's window starts where the step started) and the states the execution entered in
 * [from, to): a state entered at the verdict's instant belongs to what the verdict set off, not to the step.
 */
export function stepActivity(
  records: readonly StepRecord[],
  events: readonly LoadBalancerEvent[],
  history: readonly Pick<HistoryEvent, 'type' | 'timestamp'>[],
): StepActivity[] {
  const steps = new Map<number, StepActivity>();
  for (const record of records) {
    const known = steps.get(record.step);
    if (!known) {
      steps.set(record.step, {
        step: record.step,
        percent: record.percent,
        from: record.from,
        to: record.to,
        outcome: record.outcome,
        windows: 1,
        hookReads: 0,
        statesEntered: 0,
      });
      continue;
    }
    known.from = Math.min(known.from, record.from);
    if (record.to >= known.to) {
      known.to = record.to;
      known.outcome = record.outcome;
    }
    known.windows++;
  }
  const activity = [...steps.values()].sort((a, b) => a.step - b.step);
  for (const step of activity) {
    step.hookReads = events.filter(
      (e) => e.kind === 'sample' && e.window.from === step.from && e.window.to <= step.to,
    ).length;
    step.statesEntered = history.filter((h) => {
      const at = new Date(h.timestamp).getTime();
      return h.type.endsWith('StateEntered') && at >= step.from && at < step.to;
    }).length;
  }
  return activity;
}

/** The median (the lower middle value of an even count) and the maximum; undefined for no values. */
export function medianAndMax(values: readonly number[]): { p50: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted[sorted.length - 1]! };
}
