/**
 * Step Functions fails an execution outside every Catch once its history passes 25,000 events. The
 * pipeline's executions wait in loops (a frozen or closed deployment gate, the build's image push), so each
 * loop is bounded here by a number of checks, and the config validator refuses a configuration whose worst
 * case could reach the limit. The per-check counts are measured by executing the real definitions in the
 * local runtime (test/local-runtime/history-budget.test.ts).
 */

/** Step Functions' limit on the events in one execution's history. */
export const HISTORY_EVENT_LIMIT = 25_000;

/**
 * Events one pass of the gate loop adds: "Check the deployment gate" (a Lambda task: entered, scheduled,
 * started, succeeded, exited), "Deployment gate open?" (entered, exited) and a Wait state (entered, exited).
 */
export const EVENTS_PER_GATE_CHECK = 9;

/** Events one pass of the release's image loop adds: a Lambda task, a Choice and a Wait, as above. */
export const EVENTS_PER_IMAGE_CHECK = 9;

/**
 * A generous upper bound of one stage's events outside the gate loop, every retry taken: about a dozen
 * tasks of up to six attempts (three events each), the lock's 60 attempts, the approval, the rollback.
 */
export const EVENTS_PER_STAGE = 1_000;

/** The image loop checks at most this often (the interval grows with releases.imageWaitMinutes). */
export const MAX_IMAGE_CHECKS = 120;

/** An upper bound of an execution's events outside its stages: the release checks and the image loop. */
export const EVENTS_OUTSIDE_STAGES = 300 + (MAX_IMAGE_CHECKS + 1) * EVENTS_PER_IMAGE_CHECK;

/** A stage may check the gate at least this often, or waiting at it is pointless. */
export const MIN_GATE_CHECKS = 12;

/** While frozen, the gate looks again every five minutes at best… */
export const MIN_FROZEN_RECHECK_SECONDS = 5 * 60;
/** …and at least once a day: a lifted freeze is noticed within this. */
export const MAX_FROZEN_RECHECK_SECONDS = 24 * 3600;

/**
 * How many times one stage of an execution with `stageCount` stages may check its deployment gate so that
 * the execution stays under the history limit even if every stage waits its whole freezeWaitHours.
 * Zero or less: the execution has too many stages to wait at all.
 */
export function gateChecksPerStage(stageCount: number): number {
  const count = Math.max(1, stageCount);
  const left = HISTORY_EVENT_LIMIT - EVENTS_OUTSIDE_STAGES - count * EVENTS_PER_STAGE;
  return Math.floor(left / (count * EVENTS_PER_GATE_CHECK));
}

/**
 * How long a frozen stage waits before it looks again: five minutes, longer for long waits so that the
 * closed checks of a whole wait use at most half the stage's checks (the other half is for deployment
 * windows that open into a freeze).
 */
export function frozenRecheckSeconds(maxWaitSeconds: number, maxChecks: number): number {
  const spread = Math.ceil(maxWaitSeconds / Math.max(1, Math.floor(maxChecks / 2)));
  return Math.max(MIN_FROZEN_RECHECK_SECONDS, spread);
}

/** How many stages an execution started by `trigger` deploys: the environments it starts, by region. */
export function stagesPerExecution(
  environments: { trigger: string; regions: string[] }[],
  trigger: 'push' | 'tag',
): number {
  let count = 0;
  let chained = false;
  for (const env of environments) {
    const starts: boolean = env.trigger === trigger || (chained && env.trigger === 'previous');
    chained = starts;
    if (starts) count += env.regions.length;
  }
  return count;
}

/** The image loop's interval: a minute, longer for long waits so it checks at most MAX_IMAGE_CHECKS times. */
export function imageRecheckSeconds(imageWaitSeconds: number): number {
  return Math.max(60, Math.ceil(imageWaitSeconds / MAX_IMAGE_CHECKS));
}
