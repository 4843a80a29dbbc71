import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../../shared/config/config.loader';
import {
  LEAD_TIME_PARTS,
  parseSince,
  type DeliveryMetrics,
  type LeadTimePart,
  type Spread,
} from '../../shared/domain/delivery-metrics';
import { readDeliveryMetrics } from '../../shared/operations/metrics';
import { duration, table } from '../format';
import { UsageError } from '../usage-error';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from './operator-context';
import { operatorCommand } from './operator-errors';
import { checkEnvironment, checkService } from './config-names';

export const METRICS_USAGE = `usage: pipeline metrics [--service <s>] [--environment <e>] [--since <30d>] [--config <file>] [--local | --stage …] [--json]

Delivery metrics per service and environment, from the deployment records (definitions: docs/metrics.md):
deployments and deployments per day, change lead time (median and p90, and from what it was measured),
change fail rate, failed deployment recovery time, rework rate, and where the lead time goes (the median of
each part: queued behind another release, approval, frozen, deploying, smoke, bake).
  --service     only this service (a service of --config, default pipeline.config.yml)
  --environment only this environment
  --since       the window, ending now: a duration (30d, 12h, 2w) or a UTC date (2026-11-01); default 30d
  --config      pipeline configuration: its services and environments (default pipeline.config.yml)
${CONNECTION_HELP}`;

const PART_HEADINGS: Record<LeadTimePart, string> = {
  beforePipeline: 'BEFORE',
  queued: 'QUEUED',
  approval: 'APPROVAL',
  frozen: 'FROZEN',
  deploying: 'DEPLOYING',
  smoke: 'SMOKE',
  bake: 'BAKE',
  other: 'OTHER',
};

export const metricsCommand = operatorCommand(async (args: string[], out: (text: string) => void) => {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      service: { type: 'string' },
      environment: { type: 'string' },
      since: { type: 'string' },
      config: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0)
    throw new UsageError(`takes no arguments, got "${positionals[0]}" (a service is --service <name>)`);
  const config = loadConfigFile(values.config ?? DEFAULT_CONFIG_FILE);
  if (values.service !== undefined) checkService(config, values.service);
  if (values.environment !== undefined) checkEnvironment(config, values.environment);
  // The window is checked against the wall clock first (bad input is said before anything is asked), then
  // taken from the pipeline's clock: the local stack's runs ahead of this machine's.
  const since = values.since ?? '30d';
  const checked = parseSince(since, Date.now());
  if ('problem' in checked) throw new UsageError(checked.problem);
  const context = await connect(values);
  const window = parseSince(since, context.clock.now());
  if ('problem' in window) throw new UsageError(window.problem);
  const metrics = await readDeliveryMetrics(
    config,
    { service: values.service, environment: values.environment, window },
    context,
  );
  if (values.json) {
    out(JSON.stringify({ since: iso(window.from), until: iso(window.to), metrics }, null, 2));
    return 0;
  }
  out(`delivery metrics from ${iso(window.from)} to ${iso(window.to)} (definitions: docs/metrics.md)`);
  out('');
  out(metricsTables(metrics));
  return 0;
});

/** The metrics as a person reads them: one row per service and environment, then the lead-time breakdown. */
export function metricsTables(metrics: DeliveryMetrics[]): string {
  const rows = [
    [
      'SERVICE',
      'ENVIRONMENT',
      'DEPLOYED',
      'FAILED',
      'PER DAY',
      'LEAD TIME MEDIAN/P90',
      'FROM',
      'CHANGE FAIL',
      'RECOVERY MEDIAN/P90',
      'OPEN',
      'REWORK',
    ],
  ];
  for (const m of metrics)
    rows.push([
      m.service,
      m.environment,
      String(m.deployments.successful),
      String(m.deployments.failed),
      m.deployments.perDay.toFixed(2),
      spreadText(m.leadTime),
      startsText(m),
      percent(m.changeFailRate),
      spreadText(m.recovery),
      String(m.recovery.open),
      percent(m.reworkRate),
    ]);
  const broken = metrics.filter((m) => m.breakdown.median);
  if (broken.length === 0) return table(rows);
  const parts = [['SERVICE', 'ENVIRONMENT', 'DEPLOYS', ...LEAD_TIME_PARTS.map((p) => PART_HEADINGS[p])]];
  for (const m of broken)
    parts.push([
      m.service,
      m.environment,
      String(m.breakdown.deployments),
      ...LEAD_TIME_PARTS.map((p) => duration(m.breakdown.median![p])),
    ]);
  return [
    table(rows),
    '',
    'where the lead time goes (median of each part per deployment):',
    table(parts),
  ].join('\n');
}

function spreadText(spread: Spread): string {
  return spread.median === null ? '-' : `${duration(spread.median)} / ${duration(spread.p90!)}`;
}

/** Which start the lead times used, so a number from the push is never read as one from the commit. */
function startsText(m: DeliveryMetrics): string {
  const from = Object.entries(m.leadTime.from)
    .filter(([, n]) => n > 0)
    .map(([start, n]) => `${n} ${start}`);
  return from.length === 0 ? '-' : from.join(', ');
}

function percent(rate: number | null): string {
  return rate === null ? '-' : `${Math.round(rate * 100)}%`;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
