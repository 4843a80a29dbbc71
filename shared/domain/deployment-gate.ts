/**
 * The deployment gate: whether a stage may deploy to its environment now. Two things close it: an
 * operator's freeze (`pipeline freeze prod --reason …`) and the environment's deployment windows from the
 * config. Both only hold new deployments; the rollback of a failed stage never passes through the gate.
 */

/** Days as the config writes them; index = `Date#getUTCDay()` numbering (0 = Sunday). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly time span in a time zone when deployments may start, e.g. mon–thu 09:00–16:00 Europe/Berlin. */
export interface DeploymentWindow {
  days: Weekday[];
  /** `HH:MM`, local time in `timezone`, inclusive. */
  start: string;
  /** `HH:MM` (up to `24:00`), local time in `timezone`, exclusive; after `start`. */
  end: string;
  /** IANA time zone name, e.g. `Europe/Berlin` or `UTC`. */
  timezone: string;
}

/** An operator's freeze of one environment: every service's deployments there wait until it is lifted. */
export interface DeploymentFreeze {
  environment: string;
  reason: string;
  /** Who froze it, as the operator's identity reads (an IAM ARN or an email address). */
  by: string;
  /** Epoch ms when it was frozen. */
  at: number;
  /** Epoch ms when the freeze lifts by itself, when it was given an end. */
  until?: number;
}

/** True when the freeze holds deployments at `now`. */
export function isInForce(freeze: DeploymentFreeze, now: number): boolean {
  return freeze.until === undefined || freeze.until > now;
}

export type GateDecision =
  | { status: 'open' }
  | { status: 'frozen'; reason: string; by: string; since: number; until?: number }
  | { status: 'outside-window'; opensAt: number };

/**
 * Whether deploying to an environment is allowed at `now`: a freeze in force closes it (whatever the
 * windows say); otherwise, with windows configured, `now` must fall inside one of them. Pure: the caller
 * reads the freeze and the windows.
 */
export function decideDeploymentGate(input: {
  now: number;
  freeze?: DeploymentFreeze;
  windows: DeploymentWindow[];
}): GateDecision {
  const { now, freeze, windows } = input;
  if (freeze && isInForce(freeze, now))
    return {
      status: 'frozen',
      reason: freeze.reason,
      by: freeze.by,
      since: freeze.at,
      ...(freeze.until !== undefined && { until: freeze.until }),
    };
  if (windows.length === 0 || windows.some((w) => isInside(w, now))) return { status: 'open' };
  return { status: 'outside-window', opensAt: nextOpening(windows, now) };
}

/** The first moment after `now` when one of the windows opens (windows repeat weekly: within 8 days). */
export function nextOpening(windows: DeploymentWindow[], now: number): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const window of windows) {
    const today = localTime(now, window.timezone);
    for (let dayOffset = 0; dayOffset <= 7; dayOffset++) {
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + dayOffset));
      if (!window.days.includes(WEEKDAYS[date.getUTCDay()]!)) continue;
      const [hour, minute] = hoursAndMinutes(window.start);
      const opening = zonedToEpoch(
        {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
          hour,
          minute,
        },
        window.timezone,
      );
      if (opening > now) {
        earliest = Math.min(earliest, opening);
        break;
      }
    }
  }
  if (!Number.isFinite(earliest)) throw new Error('deployment windows never open: list at least one day');
  return earliest;
}

/** True when `now` falls inside the window, on the window's own wall clock. */
export function isInside(window: DeploymentWindow, now: number): boolean {
  const local = localTime(now, window.timezone);
  if (!window.days.includes(local.weekday)) return false;
  const minutes = local.hour * 60 + local.minute;
  return minutes >= toMinutes(window.start) && minutes < toMinutes(window.end);
}

/** `HH:MM` with HH 00–23 (or `24:00`, the end of the day). */
export const CLOCK_TIME = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** True when the name is an IANA time zone the runtime knows (Node ships the full ICU data). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function toMinutes(clockTime: string): number {
  const [hour, minute] = hoursAndMinutes(clockTime);
  return hour * 60 + minute;
}

function hoursAndMinutes(clockTime: string): [number, number] {
  const [hour = '0', minute = '0'] = clockTime.split(':');
  return [Number(hour), Number(minute)];
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(epochMs: number, timeZone: string): WallClock & { weekday: Weekday } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(epochMs).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: String(parts.weekday).toLowerCase() as Weekday,
  };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(epochMs: number, timeZone: string): number {
  const t = localTime(epochMs, timeZone);
  const wallAsUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  return wallAsUtc - (epochMs - (epochMs % 60_000));
}

/**
 * The instant a wall-clock time in a zone names. Around a DST change the offset differs between the
 * guess and the answer, so it is applied twice; a time skipped by the spring change maps to just after it.
 */
function zonedToEpoch(wall: WallClock, timeZone: string): number {
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  const first = wallAsUtc - offsetAt(wallAsUtc, timeZone);
  return wallAsUtc - offsetAt(first, timeZone);
}
