import type { Clock } from '../clock';
import type {
  DeploymentLocks,
  DeploymentRecordStore,
  StageEvidence,
  StageEvidenceStore,
} from '../ports/deployment';
import { stageRecord } from './deployment-records';
import type { BakeResult, SmokeCheckResult, StageRun } from '../domain/stage-run.schema';
import { targetKey, type StageTimeline } from '../domain/deployment-record';
import { releaseStageLock } from './stage-lock';
import { describeShift, shiftEvidence } from '../domain/traffic-shift-evidence';
import type { TrafficShiftLog } from '../ports/traffic-shift';

/**
 * The end of a deployed stage: records what it showed (smoke results, the bake, the traffic shift's steps
 * when it shifted) for the approvers of the stages after it and the deployment record (what runs there
 * now), then frees the environment's deployment lock, noting the version now running there.
 */
export async function completeStage(
  run: Pick<
    StageRun,
    'executionName' | 'service' | 'version' | 'commit' | 'image' | 'trigger' | 'stage' | 'deployment'
  > & {
    smoke: SmokeCheckResult[];
    bake: BakeResult;
    lock?: { at?: number };
    gate?: { openedAt?: number; closedSince?: number };
    ecs?: { completedAt?: number };
  },
  deps: {
    locks: DeploymentLocks;
    evidence: StageEvidenceStore;
    records: DeploymentRecordStore;
    clock: Clock;
    /** Where the traffic shift hook logs its steps (stages that shift traffic). */
    trafficShifts?: Pick<TrafficShiftLog, 'get'>;
  },
): Promise<{ released: true; evidence: StageEvidence }> {
  const shift =
    run.stage.traffic && deps.trafficShifts
      ? await deps.trafficShifts.get({
          executionName: run.executionName,
          environment: run.stage.environment,
          region: run.stage.region,
        })
      : undefined;
  const evidence: StageEvidence = {
    environment: run.stage.environment,
    region: run.stage.region,
    version: run.version,
    at: deps.clock.now(),
    smoke: run.smoke.map((s) => ({
      name: s.name,
      passed: s.passed,
      ...(s.status !== undefined && { status: s.status }),
      ...(s.latencyMs !== undefined && { latencyMs: s.latencyMs }),
    })),
    bake: {
      minutes: Math.round((run.bake.to - run.bake.from) / 60_000),
      alarmsWatched: [...run.bake.watched.names, ...run.bake.watched.prefixes.map((p) => `${p}*`)],
      breaches: run.bake.breaches.length,
    },
    ...(shift && run.stage.traffic && { traffic: shiftEvidence(run.stage.traffic.strategy, shift) }),
  };
  const earlier = await deps.evidence.list(run.executionName);
  await deps.evidence.record(run.executionName, evidence);
  await deps.records.put({
    ...stageRecord(run, 'deployed', evidence.at),
    timeline: stageTimeline(run, earlier, evidence.at),
  });
  await releaseStageLock(run, true, deps);
  return { released: true, evidence };
}

/**
 * When each part of the stage ended, for "where the lead time goes" (docs/metrics.md): the stage was ready
 * when the execution's previous stage finished (or, the first, at its trigger); the bake began its
 * configured length before the alarm check that ended it.
 */
export function stageTimeline(
  run: Pick<StageRun, 'trigger' | 'stage' | 'executionName'> & {
    bake: BakeResult;
    lock?: { at?: number };
    gate?: { openedAt?: number; closedSince?: number };
    ecs?: { completedAt?: number };
  },
  earlier: StageEvidence[],
  now: number,
): StageTimeline {
  const previous = earlier
    .filter((e) => e.at <= now && targetKey(e) !== targetKey(run.stage))
    .reduce<number | undefined>((latest, e) => Math.max(latest ?? e.at, e.at), undefined);
  const deployedAt = run.ecs?.completedAt;
  const bakeStartedAt = run.bake.to - run.stage.bakeSeconds * 1000;
  return {
    readyAt: previous ?? Date.parse(run.trigger.at),
    ...(run.lock?.at !== undefined && { lockedAt: run.lock.at }),
    ...(run.gate?.closedSince !== undefined && { gateClosedAt: run.gate.closedSince }),
    ...(run.gate?.openedAt !== undefined && { gateOpenedAt: run.gate.openedAt }),
    ...(deployedAt !== undefined && {
      deployedAt,
      bakeStartedAt: Math.max(deployedAt, bakeStartedAt),
    }),
  };
}

/** One line per earlier stage, as approvers read it: `staging/eu-west-1` → what it showed. */
export function describeEvidence(stages: StageEvidence[]): Record<string, string> {
  return Object.fromEntries(
    stages.map((s) => {
      const passed = s.smoke.filter((c) => c.passed).length;
      const checks = s.smoke
        .map((c) => `${c.name} ${c.status ?? '-'} in ${c.latencyMs ?? '?'} ms`)
        .join(', ');
      const alarms = s.bake.alarmsWatched.length;
      return [
        `${s.environment}/${s.region}`,
        `${s.version}: smoke ${passed}/${s.smoke.length} passed (${checks || 'no checks'}); ` +
          `${alarms} alarm${alarms === 1 ? '' : 's'} watched for ${s.bake.minutes} min since the deploy, ${s.bake.breaches} in ALARM` +
          (s.traffic ? `; traffic: ${describeShift(s.traffic)}` : ''),
      ];
    }),
  );
}
