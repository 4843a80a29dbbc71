import type { VersionBehaviour } from '../local-runtime/local-world';
import { UsageError } from './usage-error';

const BREAKS: Record<string, VersionBehaviour> = {
  deploy: { failsToStart: true },
  smoke: { failsHealthCheck: true },
  alarm: { breachesAlarms: true },
};

export const BREAK_HELP = `--break <commit-prefix>=deploy|smoke|alarm  make a commit fail locally: its deployment
            never starts (deploy), its health check answers 503 (smoke) or it drives its alarms into
            ALARM (alarm); repeatable`;

/** `--break` values to the local runtime's behaviours, keyed by commit prefix; UsageError for a bad one. */
export function parseBreaks(specs: readonly string[] = []): Record<string, VersionBehaviour> {
  const behaviours: Record<string, VersionBehaviour> = {};
  for (const spec of specs) {
    const [commit, kind] = spec.split('=');
    const behaviour = kind && BREAKS[kind];
    if (!commit || !/^[a-f0-9]{1,40}$/.test(commit) || !behaviour)
      throw new UsageError(`--break ${spec}: expected <commit-prefix>=deploy|smoke|alarm`);
    behaviours[commit] = { ...behaviours[commit], ...behaviour };
  }
  return behaviours;
}
