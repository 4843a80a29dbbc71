import type { Clock } from '../clock';
import { StageLockedError } from '../domain/errors';
import type { DeploymentLocks, DeploymentOrder, DeploymentRecordStore, LockKey } from '../ports/deployment';
import { stageRecord } from './deployment-records';
import { compareVersions, parseVersionTag } from '../domain/version';
import type { StageRun } from '../domain/stage-run.schema';

/**
 * One deployment per service and environment at a time, and never an older version over a newer one.
 *
 * Policy (queue): a stage takes its environment's lock before it asks for approval and keeps it until it
 * is deployed or rolled back; another execution's stage queues behind it (the step fails with
 * StageLocked and the state machine retries it with back-off). When a stage gets the lock it checks what
 * was deployed under it last: if that is newer (a later push, or a higher version), this stage is
 * superseded and skips, without asking anyone to approve putting the older version back. Waiters note
 * themselves on the lock (the newest wins), so an older version still waiting gives up as soon as a newer
 * one queues behind the same holder, instead of deploying first and being replaced right after.
 */
export type LockOutcome =
  /** `at`: when the lock was taken, where the stage stops queueing (docs/metrics.md). */
  { outcome: 'acquired'; at: number } | { outcome: 'superseded'; by: DeploymentOrder };

export async function acquireStageLock(
  run: Pick<StageRun, 'executionName' | 'service' | 'version' | 'commit' | 'image' | 'trigger' | 'stage'>,
  deps: { locks: DeploymentLocks; records: DeploymentRecordStore; clock: Clock },
): Promise<LockOutcome> {
  const outcome = await takeLock(run, deps);
  if (outcome.outcome === 'superseded')
    await deps.records.put(
      stageRecord(
        run,
        'superseded',
        deps.clock.now(),
        `${outcome.by.version} (${outcome.by.owner}) is newer`,
      ),
    );
  return outcome;
}

async function takeLock(
  run: Pick<StageRun, 'executionName' | 'service' | 'version' | 'trigger' | 'stage'>,
  deps: { locks: DeploymentLocks; clock: Clock },
): Promise<LockOutcome> {
  const key = lockKeyOf(run);
  const now = deps.clock.now();
  // Long enough for the slowest stage (a deployment and its rollback, plus the bake); frees itself after.
  const approval = run.stage.approval?.timeoutSeconds ?? 0;
  const leaseUntil =
    now + (approval + 2 * run.stage.deploymentTimeoutSeconds + run.stage.bakeSeconds + 3600) * 1000;
  const attempt = await deps.locks.acquire(key, run.executionName, leaseUntil, now);
  const mine = orderOf(run);
  // A release sent with allowDowngrade goes back on purpose: nothing supersedes it.
  const deliberate = run.trigger.allowDowngrade === true;
  const newer = (other: DeploymentOrder | undefined): other is DeploymentOrder =>
    !deliberate && !!other && other.owner !== run.executionName && isNewer(other, mine);

  if (!attempt.acquired) {
    // A newer version already waits for this environment: this one will never be wanted there.
    if (newer(attempt.waiting)) return { outcome: 'superseded', by: attempt.waiting };
    if (!attempt.waiting || isNewer(mine, attempt.waiting))
      await deps.locks.markWaiting(key, mine, attempt.waiting);
    throw new StageLockedError(
      `${key.service} ${key.environment} is being deployed by ${attempt.holder} since ` +
        `${new Date(attempt.since).toISOString()}; this stage waits its turn`,
    );
  }
  const supersededBy = newer(attempt.last)
    ? attempt.last
    : newer(attempt.waiting)
      ? attempt.waiting
      : undefined;
  if (supersededBy) {
    await deps.locks.release(key, run.executionName);
    return { outcome: 'superseded', by: supersededBy };
  }
  return { outcome: 'acquired', at: now };
}

/** Frees the stage's lock; `deployed` records the version now running for later supersede checks. */
export async function releaseStageLock(
  run: Pick<StageRun, 'executionName' | 'service' | 'version' | 'trigger' | 'stage'>,
  deployed: boolean,
  deps: { locks: DeploymentLocks },
): Promise<{ released: true }> {
  await deps.locks.release(lockKeyOf(run), run.executionName, deployed ? orderOf(run) : undefined);
  return { released: true };
}

export function lockKeyOf(run: Pick<StageRun, 'service' | 'stage'>): LockKey {
  return { service: run.service, environment: run.stage.environment };
}

function orderOf(run: Pick<StageRun, 'executionName' | 'version' | 'trigger'>): DeploymentOrder {
  return { kind: run.trigger.kind, version: run.version, at: run.trigger.at, owner: run.executionName };
}

/** Pushes order by push time, tags by version; a push and a tag do not supersede each other. */
export function isNewer(a: DeploymentOrder, b: DeploymentOrder): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'push') return Date.parse(a.at) > Date.parse(b.at);
  const [va, vb] = [parseVersionTag(a.version), parseVersionTag(b.version)];
  return !!va && !!vb && compareVersions(va, vb) > 0;
}
