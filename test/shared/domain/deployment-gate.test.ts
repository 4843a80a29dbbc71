import {
  decideDeploymentGate,
  isInside,
  nextOpening,
  type DeploymentFreeze,
  type DeploymentWindow,
} from '../../../shared/domain/deployment-gate';

/** Mon–Thu 09:00–16:00 in Berlin: CET (UTC+1) in winter, CEST (UTC+2) in summer. */
const BERLIN_WORKDAYS: DeploymentWindow = {
  days: ['mon', 'tue', 'wed', 'thu'],
  start: '09:00',
  end: '16:00',
  timezone: 'Europe/Berlin',
};

/** 2026-01-09 is a Friday. */
const FRIDAY_NOON_BERLIN = Date.parse('2026-01-09T11:00:00Z');
const MONDAY_0900_BERLIN = Date.parse('2026-01-12T08:00:00Z');

const FREEZE: DeploymentFreeze = {
  environment: 'prod',
  reason: 'incident 4711',
  by: 'alice@example.com',
  at: Date.parse('2026-01-08T10:00:00Z'),
};

describe('decideDeploymentGate', () => {
  it('when nothing is frozen and no windows are configured, it is open', () => {
    // Act
    const decision = decideDeploymentGate({ now: FRIDAY_NOON_BERLIN, windows: [] });

    // Assess
    expect(decision).toEqual({ status: 'open' });
  });

  it('when the environment is frozen, it is closed with the reason, who and since when, even inside a window', () => {
    // Prepare
    const tuesdayMorning = Date.parse('2026-01-13T09:30:00Z');

    // Act
    const decision = decideDeploymentGate({
      now: tuesdayMorning,
      freeze: FREEZE,
      windows: [BERLIN_WORKDAYS],
    });

    // Assess
    expect(decision).toEqual({
      status: 'frozen',
      reason: 'incident 4711',
      by: 'alice@example.com',
      since: FREEZE.at,
    });
  });

  it('when a freeze had an end that has passed, it no longer holds', () => {
    // Act
    const decision = decideDeploymentGate({
      now: FRIDAY_NOON_BERLIN,
      freeze: { ...FREEZE, until: FRIDAY_NOON_BERLIN },
      windows: [],
    });

    // Assess
    expect(decision).toEqual({ status: 'open' });
  });

  it('when it is Friday and the windows are Mon–Thu, it is closed until Monday 09:00 Berlin time', () => {
    // Act
    const decision = decideDeploymentGate({ now: FRIDAY_NOON_BERLIN, windows: [BERLIN_WORKDAYS] });

    // Assess
    expect(decision).toEqual({ status: 'outside-window', opensAt: MONDAY_0900_BERLIN });
  });

  it('when two windows are configured, it opens at the earlier of their next openings', () => {
    // Prepare
    const saturdayInTokyo: DeploymentWindow = {
      days: ['sat'],
      start: '10:00',
      end: '12:00',
      timezone: 'Asia/Tokyo',
    };

    // Act
    const opensAt = nextOpening([BERLIN_WORKDAYS, saturdayInTokyo], FRIDAY_NOON_BERLIN);

    // Assess: Saturday 10:00 in Tokyo (UTC+9) is Saturday 01:00 UTC
    expect(new Date(opensAt).toISOString()).toBe('2026-01-10T01:00:00.000Z');
  });
});

describe('deployment windows on the local wall clock', () => {
  it('when the start and end are reached, start is inside and end is outside', () => {
    // Act + Assess
    expect(isInside(BERLIN_WORKDAYS, MONDAY_0900_BERLIN)).toBe(true);
    expect(isInside(BERLIN_WORKDAYS, MONDAY_0900_BERLIN - 60_000)).toBe(false);
    expect(isInside(BERLIN_WORKDAYS, Date.parse('2026-01-12T15:00:00Z'))).toBe(false); // 16:00 CET
    expect(isInside(BERLIN_WORKDAYS, Date.parse('2026-01-12T14:59:00Z'))).toBe(true);
  });

  it('when daylight saving time starts between now and the opening, the opening follows the new offset', () => {
    // Prepare: Europe/Berlin moves to CEST on Sunday 2026-03-29; Friday 2026-03-27 17:00 CET is 16:00 UTC
    const fridayEvening = Date.parse('2026-03-27T16:00:00Z');

    // Act
    const opensAt = nextOpening([BERLIN_WORKDAYS], fridayEvening);

    // Assess: Monday 09:00 CEST is 07:00 UTC
    expect(new Date(opensAt).toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  it('when the window ends at 24:00, the last minute of the day is inside', () => {
    // Prepare
    const lateUtc: DeploymentWindow = { days: ['fri'], start: '22:00', end: '24:00', timezone: 'UTC' };

    // Act + Assess
    expect(isInside(lateUtc, Date.parse('2026-01-09T23:59:00Z'))).toBe(true);
    expect(isInside(lateUtc, Date.parse('2026-01-10T00:00:00Z'))).toBe(false);
  });
});
