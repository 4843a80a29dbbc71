/**
 * The ports of driving a traffic shift through ECS's blue/green deployments: the hook function ECS calls,
 * switching back to blue while it still runs, and where each judged step is recorded for the stage's
 * evidence and the deployment record.
 */
import type { SmokeCheckResult } from '../domain/stage-run.schema';
import type { TestCheck, TrafficShiftHookDetails } from '../domain/traffic-shift-hook';
import type { ShiftProgress } from '../domain/traffic-shift';
import type { EcsTarget, StageKey } from './deployment';

/** Defined beside ShiftRequest (deployment.ts), which carries it; exported here with the other ports of the shift. */
export type { TrafficShiftHook } from './deployment';

/** What ECS passes the hook on every call (set at UpdateService, then as the hook returns it). */
export type ShiftHookDetails = TrafficShiftHookDetails;

/** Stops a blue/green deployment in progress with rollback: traffic goes back to blue, which still runs. */
export interface ServiceDeploymentControl {
  /** Undefined when no blue/green deployment of the service is in progress (blue is gone). */
  rollBackInProgress(target: EcsTarget): Promise<{ serviceDeploymentArn: string } | undefined>;
}

/**
 * Each stage's shift as the hook last left it (steps, numbers, verdicts, cause), for the stage's evidence,
 * the deployment record, the approval emails of later regions and the dashboard.
 */
export interface TrafficShiftLog {
  /** Stores the progress; a later call for the same stage replaces it (the progress only grows). */
  record(key: StageKey, progress: ShiftProgress): Promise<void>;
  get(key: StageKey): Promise<ShiftProgress | undefined>;
}

/**
 * Where blue-green's test checks run: in the hook itself, or in the smoke-test function when the region has
 * a `smokeTestVpc` (a test listener is usually on an internal load balancer).
 */
export interface TestCheckRunner {
  /**
   * One result per check, in order, each judged as a smoke check is. A check that got no answer at all
   * (a network error, its timeout, or the runner could not be reached) has no `status`; never throws.
   */
  run(endpoint: string, checks: readonly TestCheck[]): Promise<SmokeCheckResult[]>;
}
