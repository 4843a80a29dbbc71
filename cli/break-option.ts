import type { VersionBehaviour } from '../local-runtime/local-world';
import type { PipelineConfig } from '../shared/config/config.schema';
import { UsageError } from './usage-error';

const BREAKS: Record<string, VersionBehaviour> = {
  deploy: { failsToStart: true },
  smoke: { failsHealthCheck: true },
  alarm: { breachesAlarms: true },
  migration: { breaksMigration: true },
};

/** The longest bake the config allows (bakeMinutes ≤ 24 h): an alarm later than that never meets a bake. */
const MAX_ALARM_MINUTES = 24 * 60;

/** The slowest degraded build --break makes: latency:100x (2 s a request over the sample service's 20 ms). */
const MAX_LATENCY_FACTOR = 100;

export const BREAK_HELP = `--break <commit-prefix>=deploy|smoke|alarm[@<minutes>]|migration  make a commit fail locally:
            its deployment never starts (deploy), its health check answers 503 (smoke), it drives its
            alarms into ALARM (alarm: as soon as it serves; alarm@5: five minutes into its bake) or
            its build ships a database migration that PostgreSQL refuses (migration: the stage stops
            at "Run migrations", before anything deploys; services with migrations: only);
            --break <commit-prefix>=errors:<percent>%|latency:<factor>x|kpi:<percent>%  make it
            degrade for real behind the local load balancer (errors:8%: 8% of its requests answer 500;
            latency:3x: its requests take three times longer; kpi:20%: 20% of its checkouts fail
            quietly, answered 200, so only its business metric Orders/CheckoutSucceeded drops) while
            its health check stays green; repeatable`;

const EXPECTED =
  'expected <commit-prefix>=deploy|smoke|alarm|migration, <commit-prefix>=alarm@<minutes>, ' +
  '<commit-prefix>=errors:<percent>%, <commit-prefix>=latency:<factor>x or <commit-prefix>=kpi:<percent>%';

/** `--break` values to the local runtime's behaviours, keyed by commit prefix; UsageError for a bad one. */
export function parseBreaks(specs: readonly string[] = []): Record<string, VersionBehaviour> {
  const behaviours: Record<string, VersionBehaviour> = {};
  for (const spec of specs) {
    const degraded = degradation(spec);
    if (degraded) {
      behaviours[degraded.commit] = { ...behaviours[degraded.commit], ...degraded.behaviour };
      continue;
    }
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

/**
 * `--break <commit>=migration` changes only services that migrate: without one in the config it would
 * change nothing, silently. UsageError then.
 */
export function checkMigrationBreaks(
  behaviours: Record<string, VersionBehaviour>,
  config: PipelineConfig,
  file: string,
): void {
  const broken = Object.entries(behaviours).find(([, b]) => b.breaksMigration);
  if (
    !broken ||
    config.services.some((s) => s.migrations || Object.values(s.environments).some((e) => e.migrations))
  )
    return;
  throw new UsageError(
    `--break ${broken[0]}=migration: no service in ${file} has migrations, so nothing would fail; ` +
      'give a service migrations: (docs/migrations.md) or break it another way',
  );
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

/** `<commit>=errors:<percent>%`, `<commit>=latency:<factor>x` or `<commit>=kpi:<percent>%`; undefined for the other kinds. */
function degradation(spec: string): { commit: string; behaviour: VersionBehaviour } | undefined {
  const match = /^([^=]*)=(errors|latency|kpi):(.*)$/.exec(spec);
  if (!match) return undefined;
  const [, commit, kind, value] = match as unknown as [string, string, 'errors' | 'latency' | 'kpi', string];
  if (!/^[a-f0-9]{1,40}$/.test(commit)) throw new UsageError(`--break ${spec}: ${EXPECTED}`);
  if (kind === 'errors') {
    const percent = /^\d+(\.\d+)?%$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
    if (!(percent > 0 && percent <= 100))
      throw new UsageError(
        `--break ${spec}: "${value}" is not an error rate; write errors:<percent>% with more than 0 and at most 100, e.g. errors:8%`,
      );
    return { commit, behaviour: { errorRate: percent / 100 } };
  }
  if (kind === 'kpi') {
    const percent = /^\d+(\.\d+)?%$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
    if (!(percent > 0 && percent <= 100))
      throw new UsageError(
        `--break ${spec}: "${value}" is not a drop of the business metric; write kpi:<percent>% with more than 0 and at most 100, e.g. kpi:20% (a fifth of its checkouts fail quietly)`,
      );
    return { commit, behaviour: { kpiDrop: percent / 100 } };
  }
  const factor = /^\d+(\.\d+)?x$/.test(value) ? Number(value.slice(0, -1)) : Number.NaN;
  if (!(factor > 1 && factor <= MAX_LATENCY_FACTOR))
    throw new UsageError(
      `--break ${spec}: "${value}" is not a slowdown; write latency:<factor>x with more than 1 and at most ${MAX_LATENCY_FACTOR}, e.g. latency:3x`,
    );
  return { commit, behaviour: { latencyFactor: factor } };
}
