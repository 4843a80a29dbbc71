/**
 * Traffic shift progress as the hook records it, built by the real domain code (startShift, judgeStep,
 * advanceShift) from chosen traffic, and an in-memory TrafficShiftLog to seed it in: the data the dashboard,
 * the local API and the CLI read.
 */
import {
  DEFAULT_JUDGEMENT_THRESHOLDS,
  judgeStep,
  type TrafficSample,
} from '../../shared/domain/traffic-judgement';
import {
  advanceShift,
  currentWindow,
  planTrafficShift,
  startShift,
  type ShiftProgress,
  type TrafficShiftPlan,
} from '../../shared/domain/traffic-shift';
import type { StageKey } from '../../shared/ports/deployment';
import type { TrafficShiftLog } from '../../shared/ports/traffic-shift';

export const MINUTE = 60_000;

/** The default canary: 5 → 25 → 50 → 100, 10 minutes a step, 3 extensions a step, blue kept 15 minutes. */
export function canaryPlan(): TrafficShiftPlan {
  const plan = planTrafficShift(
    { strategy: 'canary', keepBlueMinutes: 15 },
    { ...DEFAULT_JUDGEMENT_THRESHOLDS, maxExtensions: 3 },
  );
  if (!plan) throw new Error('expected a plan');
  return plan;
}

export const BLUE: TrafficSample = { requests: 1000, errors: 2, p95Ms: 180 };
export const TRAFFIC = {
  healthy: { requests: 1000, errors: 3, p95Ms: 185 },
  slow: { requests: 1204, errors: 1, p95Ms: 412 },
  quiet: { requests: 40, errors: 0, p95Ms: 170 },
} satisfies Record<string, TrafficSample>;
export type Traffic = keyof typeof TRAFFIC;

/** The progress after green saw `seen` (one entry a window), each window as long as its step asks. */
export function progressAfter(plan: TrafficShiftPlan, seen: Traffic[], startedAt: number): ShiftProgress {
  let now = startedAt;
  let last = startShift(plan, now);
  for (const traffic of seen) {
    if (last.action.kind === 'complete' || last.action.kind === 'roll-back')
      throw new Error('the shift ended before every window was judged');
    now += last.action.waitMs;
    const window = currentWindow(last.progress, now);
    const step = plan.steps[last.progress.step]!;
    const verdict = judgeStep(
      { blue: BLUE, green: TRAFFIC[traffic], greenPercent: step.percent, windowMs: window.to - window.from },
      plan.thresholds,
    );
    last = advanceShift(plan, last.progress, verdict, window);
  }
  return last.progress;
}

/** A passing step (5%), an extended one (25%: too little traffic, then a pass) and a failing one (50%). */
export function failedAtFifty(startedAt: number): ShiftProgress {
  return progressAfter(canaryPlan(), ['healthy', 'quiet', 'healthy', 'slow'], startedAt);
}

/** The TrafficShiftLog port in memory, as the hook leaves it: the latest progress per stage. */
export class InMemoryTrafficShiftLog implements TrafficShiftLog {
  private readonly byStage = new Map<string, ShiftProgress>();

  async record(key: StageKey, progress: ShiftProgress): Promise<void> {
    this.byStage.set(keyOf(key), structuredClone(progress));
  }

  async get(key: StageKey): Promise<ShiftProgress | undefined> {
    const found = this.byStage.get(keyOf(key));
    return found && structuredClone(found);
  }
}

const keyOf = (key: StageKey): string => JSON.stringify([key.executionName, key.environment, key.region]);
