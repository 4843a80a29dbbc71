/**
 * Shifting production traffic from blue to green step by step, judged at each step: the plan a deployment
 * follows (weights and windows from the config) and its progress as plain data with plain transitions, so
 * the hook that drives it on AWS (a Lambda invoked again and again by ECS, its progress in `hookDetails`)
 * and the local stack run the same rules. A step that passes moves on, one that fails rolls back, and one
 * with too little traffic is extended up to a bound and then fails: missing data never passes a step.
 */
import type { JudgementThresholds, StepVerdict, TrafficSample } from './traffic-judgement';

export type ShiftStrategy = 'blue-green' | 'canary' | 'linear';

/** One step of the shift: green gets `percent` of production traffic for at least `windowMs`. */
export interface ShiftStep {
  percent: number;
  windowMs: number;
}

export interface TrafficShiftPlan {
  strategy: ShiftStrategy;
  /**
   * The judged steps, each below 100. After the last one passes, green gets everything (ECS's own shift)
   * and blue keeps running `keepBlueMinutes` for an instant switch back. Blue-green has none.
   */
  steps: ShiftStep[];
  keepBlueMinutes: number;
  thresholds: JudgementThresholds;
  /** How often one step may be extended for too little traffic before the shift fails. */
  maxExtensions: number;
}

/** What the config says of a service environment's strategy (config/traffic-shift.schema.ts, parsed). */
export interface StrategySettings {
  strategy: 'rolling' | ShiftStrategy;
  canary?: { steps: number[]; pauseMinutes: number | number[] };
  linear?: { stepPercent: number; stepMinutes: number };
  keepBlueMinutes: number;
  judgement?: JudgementThresholds & { maxExtensions: number };
}

const MINUTE = 60_000;
const DEFAULT_CANARY = { steps: [5, 25, 50, 100], pauseMinutes: 10 as number | number[] };
const DEFAULT_LINEAR = { stepPercent: 10, stepMinutes: 6 };

/** The plan of a service environment's strategy; undefined for rolling (no traffic to shift). */
export function planTrafficShift(
  settings: StrategySettings,
  defaults: JudgementThresholds & { maxExtensions: number },
): TrafficShiftPlan | undefined {
  if (settings.strategy === 'rolling') return undefined;
  const judgement = settings.judgement ?? defaults;
  const { maxExtensions, ...thresholds } = judgement;
  return {
    strategy: settings.strategy,
    steps: stepsOf(settings),
    keepBlueMinutes: settings.keepBlueMinutes,
    thresholds,
    maxExtensions,
  };
}

function stepsOf(settings: StrategySettings): ShiftStep[] {
  switch (settings.strategy) {
    case 'canary': {
      const { steps, pauseMinutes } = settings.canary ?? DEFAULT_CANARY;
      return steps
        .filter((percent) => percent < 100)
        .map((percent, i) => ({
          percent,
          windowMs: Math.round((Array.isArray(pauseMinutes) ? pauseMinutes[i]! : pauseMinutes) * MINUTE),
        }));
    }
    case 'linear': {
      const { stepPercent, stepMinutes } = settings.linear ?? DEFAULT_LINEAR;
      const steps: ShiftStep[] = [];
      for (let percent = stepPercent; percent < 100; percent += stepPercent)
        steps.push({ percent, windowMs: Math.round(stepMinutes * MINUTE) });
      return steps;
    }
    default:
      return [];
  }
}

/** The longest the judged steps can take, every extension used: what the hook's timeout must allow. */
export function longestShiftMs(plan: TrafficShiftPlan): number {
  return plan.steps.reduce((sum, step) => sum + step.windowMs * (1 + plan.maxExtensions), 0);
}

/** What the hook's timeout allows beyond the longest shift (ECS calls, the last judgement, a slow window). */
export const HOOK_TIMEOUT_MARGIN_MINUTES = 15;

/** The lifecycle hook's `timeoutInMinutes`: the longest shift plus the margin; ECS rolls back after it. */
export function hookTimeoutMinutes(plan: TrafficShiftPlan): number {
  return Math.ceil(longestShiftMs(plan) / MINUTE) + HOOK_TIMEOUT_MARGIN_MINUTES;
}

/**
 * How much longer than a rolling update an ECS blue/green deployment of this plan may take before ECS
 * reports its end: the hook's whole timeout, then blue's bake time (ECS completes the deployment only after
 * it). The stage waits for that report, so its wait adds this to `deploymentTimeoutMinutes`; without it a
 * default canary (three 10-minute steps, each extensible three times) would outlast the default 30 minutes.
 */
export function shiftWaitExtraSeconds(plan: TrafficShiftPlan): number {
  return (hookTimeoutMinutes(plan) + plan.keepBlueMinutes) * 60;
}

/** One judged window, as the stage's evidence and the deployment record keep it. */
export interface StepRecord {
  /** Index of the step in the plan. */
  step: number;
  percent: number;
  /** 0 for the step's first window, then 1, 2… for its extensions. */
  extension: number;
  from: number;
  to: number;
  outcome: StepVerdict['outcome'];
  reason: string;
  blue: TrafficSample;
  green: TrafficSample;
}

export interface ShiftProgress {
  /** The step green is at now (index into plan.steps). */
  step: number;
  /** When green got this step's weight (epoch ms): each window of the step is judged from here. */
  stepStartedAt: number;
  /** Extensions of the current step so far. */
  extensions: number;
  status: 'shifting' | 'shifted' | 'failed';
  /** Why the shift failed, one line a person reads. */
  cause?: string;
  records: StepRecord[];
}

/** What the driver of the shift does next. */
export type ShiftAction =
  /** Give green this share of production traffic, then come back after `waitMs`. */
  | { kind: 'set-weight'; percent: number; waitMs: number }
  /** Too little traffic: keep the weight, come back after `waitMs` and judge the longer window. */
  | { kind: 'extend'; percent: number; waitMs: number }
  /** Every judged step passed: let ECS send green everything (and keep blue for the bake). */
  | { kind: 'complete' }
  /** Send everything back to blue and stop the deployment with rollback. */
  | { kind: 'roll-back'; cause: string };

export interface ShiftTransition {
  progress: ShiftProgress;
  action: ShiftAction;
}

/** The first move of a shift: green's first weight, or straight to ECS's shift when nothing is judged. */
export function startShift(plan: TrafficShiftPlan, now: number): ShiftTransition {
  const first = plan.steps[0];
  const progress: ShiftProgress = {
    step: 0,
    stepStartedAt: now,
    extensions: 0,
    status: 'shifting',
    records: [],
  };
  if (!first) return { progress: { ...progress, status: 'shifted' }, action: { kind: 'complete' } };
  return { progress, action: { kind: 'set-weight', percent: first.percent, waitMs: first.windowMs } };
}

/** The window the current step is judged on now: from when green got its weight. */
export function currentWindow(progress: ShiftProgress, now: number): { from: number; to: number } {
  return { from: progress.stepStartedAt, to: now };
}

/**
 * The move after a verdict on the current step's window. Pass moves to the next step (or completes after
 * the last); fail rolls back with the verdict's reason; inconclusive extends the step by its window, at
 * most `maxExtensions` times, and then fails saying that the step could not be judged.
 */
export function advanceShift(
  plan: TrafficShiftPlan,
  progress: ShiftProgress,
  verdict: StepVerdict,
  window: { from: number; to: number },
): ShiftTransition {
  if (progress.status !== 'shifting')
    throw new Error(`the shift is already ${progress.status}: no verdict can change it`);
  const step = plan.steps[progress.step];
  if (!step) throw new Error(`the plan has no step ${progress.step}`);
  const record: StepRecord = {
    step: progress.step,
    percent: step.percent,
    extension: progress.extensions,
    ...window,
    outcome: verdict.outcome,
    reason: verdict.reason,
    blue: verdict.blue,
    green: verdict.green,
  };
  const records = [...progress.records, record];

  if (verdict.outcome === 'fail') return failed(progress, records, verdict.reason);
  if (verdict.outcome === 'inconclusive') {
    if (progress.extensions >= plan.maxExtensions)
      return failed(
        progress,
        records,
        `step ${step.percent}% could not be judged after ${plan.maxExtensions} extension${plan.maxExtensions === 1 ? '' : 's'}: ${verdict.reason}`,
      );
    return {
      progress: { ...progress, extensions: progress.extensions + 1, records },
      action: { kind: 'extend', percent: step.percent, waitMs: step.windowMs },
    };
  }
  const next = plan.steps[progress.step + 1];
  if (!next) return { progress: { ...progress, status: 'shifted', records }, action: { kind: 'complete' } };
  return {
    progress: {
      step: progress.step + 1,
      stepStartedAt: window.to,
      extensions: 0,
      status: 'shifting',
      records,
    },
    action: { kind: 'set-weight', percent: next.percent, waitMs: next.windowMs },
  };
}

function failed(progress: ShiftProgress, records: StepRecord[], cause: string): ShiftTransition {
  return {
    progress: { ...progress, status: 'failed', cause, records },
    action: { kind: 'roll-back', cause },
  };
}
