import { ManualClock } from '../../../shared/clock';
import type { DeploymentWindow } from '../../../shared/domain/deployment-gate';
import { DeploymentFrozenError, OutsideDeploymentWindowError } from '../../../shared/domain/errors';
import {
  EVENTS_PER_GATE_CHECK,
  gateChecksPerStage,
  HISTORY_EVENT_LIMIT,
} from '../../../shared/domain/history-budget';
import { checkDeploymentGate, type GateRun } from '../../../shared/use-cases/check-deployment-gate';
import { ppeStageRun } from '../../support/fixtures';
import { InMemoryDeploymentFreezes, rejectionOf } from '../../support/fakes';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 2026-01-09 is a Friday. */
const FRIDAY_NOON_UTC = Date.parse('2026-01-09T12:00:00Z');
const WEEKDAYS_UTC: DeploymentWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '16:00',
  timezone: 'UTC',
};

function run(
  gate: { windows?: DeploymentWindow[]; maxWaitHours?: number; maxChecks?: number } = {},
  extra: Partial<GateRun> = {},
) {
  const base = ppeStageRun();
  return {
    ...base,
    stage: {
      ...base.stage,
      gate: {
        windows: gate.windows ?? [],
        maxWaitSeconds: (gate.maxWaitHours ?? 24) * 3600,
        maxChecks: gate.maxChecks ?? base.stage.gate.maxChecks,
      },
    },
    ...extra,
  };
}

describe('checkDeploymentGate', () => {
  let freezes: InMemoryDeploymentFreezes;
  let clock: ManualClock;

  beforeEach(() => {
    freezes = new InMemoryDeploymentFreezes();
    clock = new ManualClock(FRIDAY_NOON_UTC);
  });

  it('when the environment is neither frozen nor outside a window, it is open', async () => {
    // Act
    const check = await checkDeploymentGate(run({ windows: [WEEKDAYS_UTC] }), { freezes, clock });

    // Assess
    expect(check).toEqual({ status: 'open', openedAt: FRIDAY_NOON_UTC });
  });

  it('when the gate opens after a wait, it says since when the stage waited (the frozen part of its lead time)', async () => {
    // Prepare
    const waitingSince = FRIDAY_NOON_UTC - 40 * MINUTE;

    // Act
    const check = await checkDeploymentGate(run({}, { gate: { waitingSince, checks: 8 } }), {
      freezes,
      clock,
    });

    // Assess
    expect(check).toEqual({ status: 'open', openedAt: FRIDAY_NOON_UTC, closedSince: waitingSince });
  });

  it('when the environment is frozen, it waits five minutes and says who froze it, when and why', async () => {
    // Prepare
    await freezes.freeze('ppe', {
      reason: 'incident 4711',
      by: 'alice@example.com',
      at: FRIDAY_NOON_UTC - HOUR,
    });

    // Act
    const check = await checkDeploymentGate(run(), { freezes, clock });

    // Assess
    expect(check).toEqual({
      status: 'frozen',
      waitingSince: FRIDAY_NOON_UTC,
      checks: 1,
      checkAgainAt: '2026-01-09T12:05:00.000Z',
      message:
        'ppe is frozen by alice@example.com since 2026-01-09T11:00:00.000Z: incident 4711; ' +
        'orders-api ppe/eu-west-1 waits until 2026-01-10T12:00:00.000Z at most, looking again every 5m',
    });
  });

  it('when another environment is frozen, this one stays open', async () => {
    // Prepare
    await freezes.freeze('prod', { reason: 'incident', by: 'alice', at: FRIDAY_NOON_UTC });

    // Act
    const check = await checkDeploymentGate(run(), { freezes, clock });

    // Assess
    expect(check.status).toBe('open');
  });

  it('when the freeze ends sooner than the next five-minute check, it looks again at its end', async () => {
    // Prepare
    await freezes.freeze('ppe', {
      reason: 'r',
      by: 'alice',
      at: FRIDAY_NOON_UTC,
      until: FRIDAY_NOON_UTC + MINUTE,
    });

    // Act
    const check = await checkDeploymentGate(run(), { freezes, clock });

    // Assess
    expect(check).toMatchObject({ status: 'frozen', checkAgainAt: '2026-01-09T12:01:00.000Z' });
  });

  it('when it has waited the whole freezeWaitHours, it fails with DeploymentFrozen and says nothing was deployed', async () => {
    // Prepare
    await freezes.freeze('ppe', { reason: 'incident 4711', by: 'alice', at: FRIDAY_NOON_UTC });
    const waitingSince = FRIDAY_NOON_UTC - 2 * HOUR;

    // Act
    const error = await rejectionOf(
      checkDeploymentGate(run({ maxWaitHours: 2 }, { gate: { waitingSince } }), { freezes, clock }),
    );

    // Assess
    expect(error).toBeInstanceOf(DeploymentFrozenError);
    expect(error.message).toBe(
      'ppe is frozen by alice since 2026-01-09T12:00:00.000Z: incident 4711; orders-api ppe/eu-west-1 waited ' +
        '2h (freezeWaitHours of ppe) and gave up. Nothing was deployed: unfreeze and redrive to deploy it.',
    );
  });

  it('when the wait ends before the next five-minute check, the last check falls on the deadline', async () => {
    // Prepare
    await freezes.freeze('ppe', { reason: 'r', by: 'alice', at: FRIDAY_NOON_UTC });
    const waitingSince = FRIDAY_NOON_UTC - 2 * HOUR + 2 * MINUTE;

    // Act
    const check = await checkDeploymentGate(run({ maxWaitHours: 2 }, { gate: { waitingSince } }), {
      freezes,
      clock,
    });

    // Assess
    expect(check).toMatchObject({ waitingSince, checkAgainAt: '2026-01-09T12:02:00.000Z' });
  });

  it('when outside the windows, it waits until the next one opens, not in five-minute steps', async () => {
    // Prepare
    clock = new ManualClock(Date.parse('2026-01-09T17:00:00Z')); // Friday after 16:00

    // Act
    const check = await checkDeploymentGate(run({ windows: [WEEKDAYS_UTC], maxWaitHours: 72 }), {
      freezes,
      clock,
    });

    // Assess
    expect(check).toMatchObject({
      status: 'outside-window',
      checkAgainAt: '2026-01-12T09:00:00.000Z',
      message:
        'orders-api ppe/eu-west-1 is outside its deployment windows; the next one opens at 2026-01-12T09:00:00.000Z',
    });
  });

  it('when the next window opens after freezeWaitHours, it fails at once with OutsideDeploymentWindow', async () => {
    // Prepare
    clock = new ManualClock(Date.parse('2026-01-09T17:00:00Z'));

    // Act
    const error = await rejectionOf(
      checkDeploymentGate(run({ windows: [WEEKDAYS_UTC], maxWaitHours: 24 }), { freezes, clock }),
    );

    // Assess
    expect(error).toBeInstanceOf(OutsideDeploymentWindowError);
    expect(error.message).toMatch(
      /next one opens at 2026-01-12T09:00:00.000Z, after the stage's wait of 24h/,
    );
  });

  it('when an operator rolls back with pipeline rollback, the gate lets it through even while frozen', async () => {
    // Prepare
    await freezes.freeze('ppe', { reason: 'incident', by: 'alice', at: FRIDAY_NOON_UTC });
    const rollback = run();
    rollback.trigger = { ...rollback.trigger, rollbackBy: 'bob@example.com' };

    // Act
    const check = await checkDeploymentGate(rollback, { freezes, clock });

    // Assess
    expect(check).toEqual({ status: 'open', openedAt: FRIDAY_NOON_UTC });
  });

  it('when a stage waits out a year-long freeze, it spreads its checks over the year and stays within its share', async () => {
    // Prepare: freezeWaitHours at its maximum, in a release of four stages
    const maxChecks = gateChecksPerStage(4);
    await freezes.freeze('ppe', { reason: 'year-end', by: 'alice@example.com', at: clock.now() });
    let gate: GateRun['gate'];
    let checks = 0;
    let failure: unknown;
    let now = clock.now();
    const waitingClock = { now: () => now, sleep: () => Promise.resolve() };

    // Act: the state machine's loop, the Wait state jumping to checkAgainAt
    while (failure === undefined && checks < 200_000) {
      checks++;
      const check = await checkDeploymentGate(run({ maxWaitHours: 8760, maxChecks }, { gate }), {
        freezes,
        clock: waitingClock,
      }).catch((error: unknown) => {
        failure = error;
        return undefined;
      });
      if (!check || check.status === 'open') break;
      gate = check;
      now = Date.parse(check.checkAgainAt);
    }

    // Assess
    expect(failure).toBeInstanceOf(DeploymentFrozenError);
    expect((failure as Error).message).toContain('waited 8760h (freezeWaitHours of ppe) and gave up');
    expect(checks).toBeLessThanOrEqual(maxChecks);
    expect(checks * EVENTS_PER_GATE_CHECK * 4).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it('when a stage has used its checks before freezeWaitHours, it gives up naming the history limit', async () => {
    // Prepare
    await freezes.freeze('ppe', { reason: 'incident', by: 'alice@example.com', at: clock.now() });

    // Act
    const error = await rejectionOf(
      checkDeploymentGate(run({ maxChecks: 12 }, { gate: { waitingSince: clock.now(), checks: 11 } }), {
        freezes,
        clock,
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(DeploymentFrozenError);
    expect(error.message).toContain('checked 12 times (the most one stage may: Step Functions keeps 25,000');
  });
});
