import type { Clock } from '../clock';
import {
  bakeBreachCause,
  describeBakeBreach,
  type BakeBreach,
  type BreachDetector,
} from '../domain/bake-breach';
import { AlarmBreachedError, ERROR_NAMES, PipelineMisconfiguredError } from '../domain/errors';
import type { AlarmBreach, StageRun } from '../domain/stage-run.schema';
import type { AlarmSource, BakeWatch, BakeWatchStore, ExecutionControl } from '../ports/deployment';

/**
 * The bake waits on a callback, not a timer: its "Bake" task parks its token here with a timeout of the bake
 * time. An alarm's state change event (at once) or the periodic sweep (within its period, when the event was
 * lost) answers the token with AlarmBreached and the stage rolls back; a quiet bake times out and goes on to
 * "Check alarms after bake", which reads alarm state and history as before. No polling: the bake costs the
 * same two transitions however long it lasts.
 */
export interface WatchBakeDeps {
  watches: BakeWatchStore;
  alarms: AlarmSource;
  executions: ExecutionControl;
  clock: Clock;
}

/** What the "Bake" task sends: its token and the stage run after the deploy. */
export type WatchBakeRequest = Pick<StageRun, 'executionName' | 'service' | 'stage'> & {
  taskToken: string;
  deployment: { startedAt: number };
};

export interface BakeWatching {
  bakeStartedAt: number;
  endsAt: number;
}

/** What an alarm event or a sweep did with one baking stage. */
export interface BakeVerdict {
  execution: string;
  environment: string;
  region: string;
  outcome: 'breached' | 'quiet' | 'expired';
  alarmName?: string;
  /** False when Step Functions no longer waited for the token (the bake had ended). */
  delivered?: boolean;
}

/**
 * Step "Bake":
 * 1. Park the token (a retried bake replaces its own watch).
 * 2. Fail at once, as the final check would, when a named alarm does not exist or a watched alarm went to
 *    ALARM since the deploy: its event came before there was a token to answer.
 */
export async function watchBake(
  request: WatchBakeRequest,
  deps: Pick<WatchBakeDeps, 'watches' | 'alarms' | 'clock'>,
): Promise<BakeWatching> {
  const { stage } = request;
  const now = deps.clock.now();
  const watch: BakeWatch = {
    executionName: request.executionName,
    service: request.service,
    environment: stage.environment,
    region: stage.region,
    taskToken: request.taskToken,
    alarms: stage.alarms,
    deployedAt: request.deployment.startedAt,
    bakeStartedAt: now,
    bakeSeconds: stage.bakeSeconds,
    expiresAt: now + stage.bakeSeconds * 1000,
  };
  await deps.watches.put(watch);

  const missing = await deps.alarms.missing(stage.region, stage.alarms.names);
  if (missing.length > 0) {
    await deps.watches.remove(watch, watch.taskToken);
    throw new PipelineMisconfiguredError(
      `alarm(s) ${missing.join(', ')} do not exist in ${stage.region}: the bake would watch nothing; ` +
        `create them or fix services.${request.service}.environments.${stage.environment}.alarms`,
    );
  }
  const [first] = await deps.alarms.breaches(stage.region, stage.alarms, watch.deployedAt);
  if (first) {
    await deps.watches.remove(watch, watch.taskToken);
    throw new AlarmBreachedError(
      describeBakeBreach(breachOf(first, watch, 'bake start', now), whereOf(watch)),
    );
  }
  return { bakeStartedAt: watch.bakeStartedAt, endsAt: watch.expiresAt };
}

/** A watched alarm changed state (its CloudWatch event): a move to ALARM ends every bake watching it. */
export async function onAlarmStateChange(
  change: { region: string; alarmName: string; state: string; at: number; reason: string },
  deps: Pick<WatchBakeDeps, 'watches' | 'executions' | 'clock'>,
): Promise<BakeVerdict[]> {
  if (change.state !== 'ALARM') return [];
  const now = deps.clock.now();
  const verdicts: BakeVerdict[] = [];
  for (const watch of await deps.watches.list()) {
    if (watch.region !== change.region || !watches(watch, change.alarmName)) continue;
    // The bake has ended (its final check reads the history) or the alarm fired before this deploy.
    if (watch.expiresAt < now || change.at < watch.deployedAt) continue;
    const breach = { alarmName: change.alarmName, at: change.at, reason: change.reason };
    verdicts.push(await endBake(watch, breachOf(breach, watch, 'alarm event', now), deps));
  }
  return verdicts;
}

/**
 * Scheduled sweep: reads the alarms of every baking stage, so a lost (or other-region) event delays the
 * rollback by one sweep period at most; drops the watches whose bake has ended.
 */
export async function sweepBakeWatches(deps: WatchBakeDeps): Promise<BakeVerdict[]> {
  const verdicts: BakeVerdict[] = [];
  for (const watch of await deps.watches.list()) {
    const now = deps.clock.now();
    if (watch.expiresAt < now) {
      await deps.watches.remove(watch, watch.taskToken);
      verdicts.push({ ...stageOf(watch), outcome: 'expired' });
      continue;
    }
    const [first] = await deps.alarms.breaches(watch.region, watch.alarms, watch.deployedAt);
    verdicts.push(
      first
        ? await endBake(watch, breachOf(first, watch, 'sweep', now), deps)
        : { ...stageOf(watch), outcome: 'quiet' },
    );
  }
  return verdicts;
}

/**
 * Answers the bake first and removes its watch after, so a throttled callback leaves the watch for the next
 * event or sweep. A token Step Functions no longer accepts (the bake ended meanwhile) is only removed.
 */
async function endBake(
  watch: BakeWatch,
  breach: BakeBreach,
  deps: Pick<WatchBakeDeps, 'watches' | 'executions'>,
): Promise<BakeVerdict> {
  const delivered = await deps.executions
    .sendTaskFailure(watch.taskToken, ERROR_NAMES.alarmBreached, bakeBreachCause(breach, whereOf(watch)))
    .catch((error: unknown) => {
      if ((error as Error | undefined)?.name === 'InvalidToken') return false;
      throw error;
    });
  await deps.watches.remove(watch, watch.taskToken);
  return { ...stageOf(watch), outcome: 'breached', alarmName: breach.alarmName, delivered };
}

function watches(watch: BakeWatch, alarmName: string): boolean {
  return watch.alarms.names.includes(alarmName) || watch.alarms.prefixes.some((p) => alarmName.startsWith(p));
}

function breachOf(breach: AlarmBreach, watch: BakeWatch, by: BreachDetector, now: number): BakeBreach {
  return {
    alarmName: breach.alarmName,
    alarmAt: breach.at,
    reason: breach.reason,
    bakeStartedAt: watch.bakeStartedAt,
    bakeSeconds: watch.bakeSeconds,
    detectedAt: now,
    detectedBy: by,
  };
}

function whereOf(watch: BakeWatch): string {
  return `${watch.environment}/${watch.region}`;
}

function stageOf(watch: BakeWatch): Pick<BakeVerdict, 'execution' | 'environment' | 'region'> {
  return { execution: watch.executionName, environment: watch.environment, region: watch.region };
}
