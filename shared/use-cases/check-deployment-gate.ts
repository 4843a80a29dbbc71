import type { Clock } from '../clock';
import { decideDeploymentGate, type GateDecision } from '../domain/deployment-gate';
import type { DeploymentFreezes } from '../ports/deployment';
import { DeploymentFrozenError, OutsideDeploymentWindowError } from '../domain/errors';
import { frozenRecheckSeconds } from '../domain/history-budget';
import type { StageRun } from '../domain/stage-run.schema';

/** What the state machine's "Deployment gate open?" Choice routes on, and its Wait states wait until. */
export type GateCheck =
  | {
      status: 'open';
      /** Epoch ms: the deploy starts (docs/metrics.md, "Where the lead time goes"). */
      openedAt: number;
      /** Epoch ms of the first closed check, when the stage waited at the gate: the frozen part. */
      closedSince?: number;
    }
  | {
      status: 'frozen' | 'outside-window';
      /** Epoch ms of the first closed check of this wait: the stage fails `maxWaitSeconds` after it. */
      waitingSince: number;
      /** Closed checks so far in this wait: the stage fails at `maxChecks` (the history limit). */
      checks: number;
      /** ISO 8601: the Wait state's TimestampPath. */
      checkAgainAt: string;
      /** One line for operators: why the stage waits and until when at most. */
      message: string;
    };

export interface GateRun extends Pick<StageRun, 'service' | 'stage' | 'trigger'> {
  /** The previous check's result, when the stage waits at the gate already. */
  gate?: { waitingSince?: number; checks?: number };
}

/**
 * "Check the deployment gate", right before a stage deploys (after its approval, so a freeze set while
 * an approval waits still holds the deploy).
 *
 * 1. A rollback started by an operator (`pipeline rollback`) passes: a freeze stops new versions, not the
 *    way back to a known good one.
 * 2. Read the environment's freeze and decide with its deployment windows.
 * 3. Open: deploy. Closed: wait (until the window opens, or while frozen five minutes, longer for long
 *    freezeWaitHours: see history-budget.ts) and check again, counting the wait from the first closed check.
 * 4. Once the wait would exceed the stage's limit (freezeWaitHours), or the stage has used its checks
 *    (its share of the execution's 25,000 history events), fail with DeploymentFrozen or
 *    OutsideDeploymentWindow; nothing was deployed, so the stage's failure path has nothing to undo.
 */
export async function checkDeploymentGate(
  run: GateRun,
  deps: { freezes: DeploymentFreezes; clock: Clock },
): Promise<GateCheck> {
  const now = deps.clock.now();
  if (run.trigger.rollbackBy) return { status: 'open', openedAt: now };
  const { environment } = run.stage;
  const freeze = await deps.freezes.current(environment, now);
  const decision = decideDeploymentGate({ now, freeze, windows: run.stage.gate.windows });
  if (decision.status === 'open')
    return {
      status: 'open',
      openedAt: now,
      ...(run.gate?.waitingSince !== undefined && { closedSince: run.gate.waitingSince }),
    };

  const waitingSince = run.gate?.waitingSince ?? now;
  const checks = (run.gate?.checks ?? 0) + 1;
  const { maxWaitSeconds, maxChecks } = run.stage.gate;
  const deadline = waitingSince + maxWaitSeconds * 1000;
  const outOfChecks = checks >= maxChecks;
  const checksUsed = `checked ${checks} times (the most one stage may: Step Functions keeps 25,000 events per execution)`;
  const limit = `${formatHours(run.stage.gate.maxWaitSeconds)} (freezeWaitHours of ${environment})`;
  const where = `${run.service} ${environment}/${run.stage.region}`;

  if (decision.status === 'frozen') {
    const why = describeFreeze(environment, decision);
    if (now >= deadline || outOfChecks)
      throw new DeploymentFrozenError(
        `${why}; ${where} ${now >= deadline ? `waited ${limit}` : checksUsed} and gave up. ` +
          'Nothing was deployed: unfreeze and redrive to deploy it.',
      );
    const recheckMs = frozenRecheckSeconds(maxWaitSeconds, maxChecks) * 1000;
    const nextCheck = Math.min(now + recheckMs, deadline, decision.until ?? Infinity);
    return closed(
      decision,
      waitingSince,
      checks,
      nextCheck,
      `${why}; ${where} waits until ${iso(deadline)} at most, looking again every ${formatHours(recheckMs / 1000)}`,
    );
  }

  // Windows are known in advance: when the next one opens after the limit, waiting would only delay the failure.
  if (decision.opensAt > deadline)
    throw new OutsideDeploymentWindowError(
      `${where} is outside its deployment windows and the next one opens at ${iso(decision.opensAt)}, ` +
        `after the stage's wait of ${limit}. Nothing was deployed: redrive once the window is open.`,
    );
  if (outOfChecks)
    throw new OutsideDeploymentWindowError(
      `${where} is outside its deployment windows and ${checksUsed}. ` +
        'Nothing was deployed: redrive once the window is open.',
    );
  return closed(
    decision,
    waitingSince,
    checks,
    decision.opensAt,
    `${where} is outside its deployment windows; the next one opens at ${iso(decision.opensAt)}`,
  );
}

function closed(
  decision: Exclude<GateDecision, { status: 'open' }>,
  waitingSince: number,
  checks: number,
  checkAgainAt: number,
  message: string,
): GateCheck {
  return { status: decision.status, waitingSince, checks, checkAgainAt: iso(checkAgainAt), message };
}

/** "prod is frozen by alice@example.com since 2026-…: incident 4711". */
export function describeFreeze(
  environment: string,
  freeze: { reason: string; by: string; since: number; until?: number },
): string {
  const until = freeze.until === undefined ? '' : ` until ${iso(freeze.until)}`;
  return `${environment} is frozen by ${freeze.by} since ${iso(freeze.since)}${until}: ${freeze.reason}`;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function formatHours(seconds: number): string {
  const hours = seconds / 3600;
  return Number.isInteger(hours) ? `${hours}h` : `${Math.round(seconds / 60)}m`;
}
