import type { VersionBehaviour } from '../local-runtime/local-world';
import { UsageError } from './usage-error';

const BREAKS: Record<string, VersionBehaviour> = {
  deploy: { failsToStart: true },
  smoke: { failsHealthCheck: true },
  alarm: { breachesAlarms: true },
};

/** The longest bake the config allows (bakeMinutes ≤ 24 h): an alarm later than that never meets a bake. */
const MAX_ALARM_MINUTES = 24 * 60;

export const BREAK_HELP = `--break <commit-prefix>=deploy|smoke|alarm[@<minutes>]  make a commit fail locally: its
            deployment never starts (deploy), its health check answers 503 (smoke) or it drives its
            alarms into ALARM (alarm: as soon as it serves; alarm@5: five minutes into its bake);
            repeatable`;

const EXPECTED = 'expected <commit-prefix>=deploy|smoke|alarm or <commit-prefix>=alarm@<minutes>';

/** `--break` values to the local runtime's behaviours, keyed by commit prefix; UsageError for a bad one. */
export function parseBreaks(specs: readonly string[] = []): Record<string, VersionBehaviour> {
  const behaviours: Record<string, VersionBehaviour> = {};
  for (const spec of specs) {
    const [commit, kind] = spec.split('=');
    const [name, minutes] = (kind ?? '').split('@');
    const behaviour = name !== undefined && BREAKS[name];
    if (!commit || !/^[a-f0-9]{1,40}$/.test(commit) || !behaviour)
      throw new UsageError(`--break ${spec}: ${EXPECTED}`);
    if (minutes !== undefined && name !== 'alarm')
      throw new UsageError(`--break ${spec}: only alarm takes @<minutes> (${name} happens at the deploy)`);
    behaviours[commit] = {
      ...behaviours[commit],
      ...behaviour,
      ...(minutes !== undefined && { alarmAfterMinutes: alarmMinutes(spec, minutes) }),
    };
  }
  return behaviours;
}

function alarmMinutes(spec: string, text: string): number {
  const minutes = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(minutes >= 0 && minutes <= MAX_ALARM_MINUTES))
    throw new UsageError(
      `--break ${spec}: "${text}" is not a number of minutes into the bake; ` +
        `write alarm@<minutes> with 0 to ${MAX_ALARM_MINUTES}, e.g. alarm@1 or alarm@2.5`,
    );
  return minutes;
}
