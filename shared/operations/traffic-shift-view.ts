/**
 * How people see a traffic shift: the schedule a stage follows (strategy, steps, pauses, the longest it can
 * take with every extension) and, from the progress the hook recorded (`TrafficShiftLog`), where each
 * planned step stands and the windows it was judged on. Pure functions over the plan and the progress, so
 * the dashboard, `pipeline show` and `pipeline simulate` say the same thing from the same data.
 */
import type { JudgementThresholds } from '../domain/traffic-judgement';
import { stageTrafficSchema } from '../domain/traffic-shift-stage';
import {
  longestShiftMs,
  type ShiftProgress,
  type ShiftStrategy,
  type StepRecord,
  type TrafficShiftPlan,
} from '../domain/traffic-shift';
import type { TrafficShiftLog } from '../ports/traffic-shift';
import type { ApiStage, ExecutionInput, StageOutcome } from './execution-view';

/** The schedule of a stage that shifts traffic, as the config planned it. */
export interface ShiftSchedule {
  strategy: ShiftStrategy;
  /** The judged steps (each below 100), with how long green is watched at each before the verdict. */
  steps: { percent: number; pauseMinutes: number }[];
  /** Each step may be extended this often for too little traffic before the shift fails. */
  maxExtensions: number;
  /** The longest the judged steps can take, every extension used (what the hook's timeout allows). */
  longestShiftMs: number;
  /** Blue keeps running this long after green has everything, for an instant switch back. */
  keepBlueMinutes: number;
  thresholds: JudgementThresholds;
}

const MINUTE = 60_000;

export function shiftSchedule(plan: TrafficShiftPlan): ShiftSchedule {
  return {
    strategy: plan.strategy,
    steps: plan.steps.map((s) => ({ percent: s.percent, pauseMinutes: s.windowMs / MINUTE })),
    maxExtensions: plan.maxExtensions,
    longestShiftMs: longestShiftMs(plan),
    keepBlueMinutes: plan.keepBlueMinutes,
    thresholds: plan.thresholds,
  };
}

/**
 * Where a planned step stands: `passed`; `failed` (the shift was rolled back at it); `judging` (green has
 * its weight now, extended `extensions` times so far); `stopped` (the stage ended while it was judged);
 * `pending` (still to come); `not reached` (the shift failed or stopped before it).
 */
export type ShiftStepStatus = 'passed' | 'failed' | 'judging' | 'stopped' | 'pending' | 'not reached';

export interface ShiftStepView {
  percent: number;
  pauseMinutes: number;
  status: ShiftStepStatus;
  /** How often this step was extended for too little traffic. */
  extensions: number;
  /** The windows this step was judged on, oldest first. */
  windows: StepRecord[];
}

/**
 * `not started`: the stage shifts traffic but the hook has recorded nothing yet. `stopped`: the stage ended
 * (its deployment timed out or was stopped) while the hook's last record still said shifting.
 */
export type ShiftStatus = ShiftProgress['status'] | 'not started' | 'stopped';

export interface ShiftView extends ShiftSchedule {
  status: ShiftStatus;
  /** Green's share of production traffic now: the current step's while shifting, 100 once shifted, 0 after a failure. */
  greenPercent: number;
  /** Why the shift failed or stopped, one line a person reads; null otherwise. */
  cause: string | null;
  /** When green got the current step's weight (epoch ms); null before the hook's first call. */
  stepStartedAt: number | null;
  /** The planned steps, with their standing and windows. */
  stepViews: ShiftStepView[];
  /** Every judged window, oldest first (the series the charts draw). */
  windows: StepRecord[];
}

/**
 * The plan with the progress laid over it. With the stage's outcome, a shift whose stage ended while the
 * log still says shifting shows as `stopped` (the hook is not called again after its deployment ends). A
 * progress that names a step past the plan (a plan changed under a recorded progress) still shows its
 * windows; only the steps the plan has get a standing.
 */
export function shiftView(
  plan: TrafficShiftPlan,
  progress: ShiftProgress | undefined,
  stageOutcome?: StageOutcome,
): ShiftView {
  const schedule = shiftSchedule(plan);
  const records = progress?.records ?? [];
  const stopped =
    progress?.status === 'shifting' && stageOutcome !== undefined && stageOutcome !== 'in progress';
  const status: ShiftStatus = stopped ? 'stopped' : (progress?.status ?? 'not started');
  const stepViews = plan.steps.map((step, index): ShiftStepView => {
    const windows = records.filter((r) => r.step === index);
    return {
      percent: step.percent,
      pauseMinutes: step.windowMs / MINUTE,
      status: stepStatus(index, progress, stopped),
      extensions: windows.filter((w) => w.outcome === 'inconclusive').length,
      windows,
    };
  });
  const at = progress && plan.steps[progress.step];
  return {
    ...schedule,
    status,
    greenPercent: greenPercentOf(plan, progress, stopped ? stageOutcome : undefined),
    cause:
      progress?.status === 'failed'
        ? (progress.cause ?? 'the traffic shift failed')
        : stopped
          ? `the stage ended (${stageOutcome}) while green was at ${at?.percent ?? '?'}%, ` +
            `step ${progress.step + 1} of ${plan.steps.length}: the shift did not finish (the stage's cause says why)`
          : null,
    stepStartedAt: progress?.stepStartedAt ?? null,
    stepViews,
    windows: records,
  };
}

function stepStatus(index: number, progress: ShiftProgress | undefined, stopped: boolean): ShiftStepStatus {
  if (!progress) return 'pending';
  if (progress.status === 'shifted' || index < progress.step) return 'passed';
  const ended = progress.status === 'failed' || stopped;
  if (index > progress.step) return ended ? 'not reached' : 'pending';
  return progress.status === 'failed' ? 'failed' : stopped ? 'stopped' : 'judging';
}

/** After a stop, what the stage did last decides: a rollback sent everything back to blue. */
function greenPercentOf(
  plan: TrafficShiftPlan,
  progress: ShiftProgress | undefined,
  stoppedBy?: StageOutcome,
): number {
  if (!progress) return 0;
  if (progress.status === 'shifted' || stoppedBy === 'deployed') return 100;
  if (progress.status === 'failed' || stoppedBy === 'rolled back') return 0;
  return plan.steps[progress.step]?.percent ?? 0;
}

/** One stage's shift, named by its execution, as the dashboard and `pipeline show` list it. */
export interface StageShift {
  service: string | null;
  environment: string;
  region: string;
  execution: string;
  version: string | null;
  /** How the stage ended, or `in progress` while it runs. */
  outcome: StageOutcome;
  shift: ShiftView;
}

/** What reading the shifts needs of the log: the progress of one stage. */
export type ShiftLogReader = Pick<TrafficShiftLog, 'get'>;

/**
 * The shifts of an execution's stages that shift traffic and were reached, each with the progress the log
 * has (a stage that has not shifted yet shows its plan, every step pending). The plan is the one the
 * execution carries in its input, so a redrive after a config change shows what it follows.
 */
/** What reading an execution's shifts needs of its view (`viewExecution`). */
export interface ShiftsOfExecution {
  summary: { name: string; service: string | null; version: string | null };
  input: ExecutionInput;
  stages: Pick<ApiStage, 'environment' | 'region' | 'outcome'>[];
}

export async function stageShiftsOf(view: ShiftsOfExecution, log: ShiftLogReader): Promise<StageShift[]> {
  const planned = view.input.stages ?? [];
  const shifts: StageShift[] = [];
  for (const [index, stage] of view.stages.entries()) {
    if (stage.outcome === 'not started') continue;
    // The input of an execution the pipeline did not start says nothing trustworthy: only a valid plan.
    const traffic = stageTrafficSchema.safeParse(planned[index]?.traffic);
    if (!traffic.success) continue;
    const { environment, region } = stage;
    const progress = await log.get({ executionName: view.summary.name, environment, region });
    shifts.push({
      service: view.summary.service,
      environment,
      region,
      execution: view.summary.name,
      version: view.summary.version,
      outcome: stage.outcome,
      shift: shiftView(traffic.data, progress, stage.outcome),
    });
  }
  return shifts;
}
