import type { Clock } from '../clock';
import { StageLockedError } from '../domain/errors';
import type {
  ContainerPlatform,
  DeploymentLocks,
  DeploymentOrder,
  DeploymentRecordStore,
  LockKey,
} from '../ports/deployment';
import { stageRecord } from './deployment-records';
import { alreadyRunningDetail, decideAlreadyRunning, type ServingNow } from '../domain/already-running';
import { imageUri } from '../domain/image';
import { targetOf } from './deploy-service';
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
 *
 * With the lock held, a stage whose digest already runs there (two tags on one commit) records its version
 * as running, frees the lock as if it had deployed, and skips the approval, the deploy and the bake
 * (`shared/domain/already-running.ts` decides; a tag event with `"redeploy": true` deploys anyway).
 */
export type LockOutcome =
  /** `at`: when the lock was taken, where the stage stops queueing (docs/metrics.md). */
  | { outcome: 'acquired'; at: number }
  | { outcome: 'superseded'; by: DeploymentOrder }
  | { outcome: 'already-running'; deployedAs: string; since: string };

type LockedRun = Pick<
  StageRun,
  'executionName' | 'service' | 'version' | 'commit' | 'image' | 'trigger' | 'stage'
>;

/** What taking the lock needs: the lock, the records, and ECS to tell whether the image already runs. */
export interface StageLockDeps {
  locks: DeploymentLocks;
  records: DeploymentRecordStore;
  platform: ContainerPlatform;
  clock: Clock;
}

export async function acquireStageLock(run: LockedRun, deps: StageLockDeps): Promise<LockOutcome> {
  const outcome = await takeLock(run, deps);
  if (outcome.outcome === 'superseded') {
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
  return recordIfAlreadyRunning(run, outcome.at, deps);
}

/**
 * 1. Read what the records say runs here; only when it is this digest (and nothing asks for a redeploy),
 *    ask ECS whether it really serves this image, settled.
 * 2. If so, write the `already running` record and free the lock with this version as the last deployed.
 */
async function recordIfAlreadyRunning(
  run: LockedRun,
  lockedAt: number,
  deps: StageLockDeps,
): Promise<LockOutcome> {
  const redeploy = run.trigger.redeploy === true;
  const rollback = run.trigger.rollbackBy !== undefined;
  // One item (GetItem), not the service's every environment/region (a Query): this runs on every stage.
  const running = redeploy || rollback ? undefined : await deps.records.runningIn(run.service, run.stage);
  const serving = running?.digest === run.image.digest ? await servingNow(run, deps.platform) : undefined;
  const decision = decideAlreadyRunning({
    image: imageUri(run.image),
    digest: run.image.digest,
    redeploy,
    rollback,
    running,
    serving,
  });
  if (decision.action === 'deploy') return { outcome: 'acquired', at: lockedAt };
  await deps.records.put({
    ...stageRecord(run, 'already running', deps.clock.now(), alreadyRunningDetail(decision)),
    ...(running?.taskDefinitionArn && { taskDefinitionArn: running.taskDefinitionArn }),
    deployedAs: decision.deployedAs,
    runningSince: decision.since,
  });
  await releaseStageLock(run, true, deps);
  return {
    outcome: 'already-running',
    deployedAs: decision.deployedAs,
    since: new Date(decision.since).toISOString(),
  };
}

async function servingNow(run: Pick<StageRun, 'stage'>, platform: ContainerPlatform): Promise<ServingNow> {
  const service = await platform.describeService(targetOf(run));
  const definition = await platform.describeTaskDefinition(run.stage.region, service.taskDefinitionArn);
  return {
    image: definition.containers.find((c) => c.name === run.stage.container)?.image,
    // A failed deployment ECS rolled back itself leaves a COMPLETED primary: that one counts as settled.
    unsettled:
      service.deployments.find((d) => d.status === 'PRIMARY')?.rolloutState !== 'COMPLETED' ||
      service.deployments.some((d) => d.rolloutState === 'IN_PROGRESS'),
  };
}

async function takeLock(
  run: Pick<StageRun, 'executionName' | 'service' | 'version' | 'trigger' | 'stage'>,
  deps: { locks: DeploymentLocks; clock: Clock },
): Promise<Exclude<LockOutcome, { outcome: 'already-running' }>> {
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
