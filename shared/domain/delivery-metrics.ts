import { triggerKindOf, targetKey, type DeploymentRecord } from './deployment-record';

/**
 * Delivery metrics (DORA) from the deployment records: deployment frequency, change lead time and where it
 * goes, change fail rate, failed deployment recovery time and the rework rate, per service and environment
 * over a window. Pure functions of the records: the CLI, the dashboard and the tests feed them the same
 * records. The definitions and every edge case are in docs/metrics.md; the comments here say which rule a
 * branch implements.
 */

export const DAY_MS = 86_400_000;

/** The parts of a lead time, in the order they happen (docs/metrics.md, "Where the lead time goes"). */
export const LEAD_TIME_PARTS = [
  'beforePipeline',
  'queued',
  'approval',
  'frozen',
  'deploying',
  'smoke',
  'bake',
  'other',
] as const;
export type LeadTimePart = (typeof LEAD_TIME_PARTS)[number];
export type LeadTimeParts = Record<LeadTimePart, number>;

/** Where a lead time starts: the commit (from the git event), else the image push, else the tag. */
export type LeadTimeStart = 'commit' | 'push' | 'tag';

export interface MetricsWindow {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, inclusive. */
  to: number;
}

export interface LeadTimeSample {
  execution: string;
  version: string;
  /** When the last region of the environment was deployed (epoch ms). */
  deployedAt: number;
  leadTimeMs: number;
  from: LeadTimeStart;
  /** Absent when a stage on the way has no timeline (records written before it existed). */
  parts?: LeadTimeParts;
}

export interface Spread {
  count: number;
  /** Nearest-rank median and 90th percentile, ms; null without values. */
  median: number | null;
  p90: number | null;
}

export interface DeliveryMetrics {
  service: string;
  environment: string;
  window: MetricsWindow & { days: number };
  deployments: {
    /** Deployments that started to go out and ended in the window (successful or failed, or both). */
    total: number;
    successful: number;
    failed: number;
    superseded: number;
    stoppedBeforeDeploying: number;
    operatorRollbacks: number;
    failedOperatorRollbacks: number;
    /** Successful deployments per day of the window. */
    perDay: number;
    /** Successful deployments per UTC day, every day of the window (zeros included). */
    byDay: { day: string; count: number }[];
  };
  leadTime: Spread & { from: Record<LeadTimeStart, number>; samples: LeadTimeSample[] };
  /** Failed ÷ total; null without deployments. */
  changeFailRate: number | null;
  recovery: Spread & { open: number };
  /** (Operator rollbacks + deployments that recovered a failure) ÷ (deployments + operator rollbacks). */
  reworkRate: number | null;
  breakdown: {
    /** Successful deployments whose every stage on the way has a timeline. */
    deployments: number;
    withoutTimeline: number;
    median: LeadTimeParts | null;
    /** Sum of each part over the deployments, ms: what the dashboard's breakdown chart shows. */
    total: LeadTimeParts;
  };
}

/** One execution reaching one environment. */
interface Deployment {
  service: string;
  environment: string;
  execution: string;
  version: string;
  records: DeploymentRecord[];
  /** The last region's record's `at`: the deployment belongs to the window this falls in. */
  endedAt: number;
  /** When the last region was deployed, if every region's last record is `deployed`. */
  deployedAt?: number;
  /** Why it counts as failed: its first failed region's record (or the deployed record an operator rolled back). */
  failure?: DeploymentRecord;
  /** The record that recovered the failure: the next `deployed` in the same environment/region. */
  recoveredBy?: DeploymentRecord;
  startedToGoOut: boolean;
  superseded: boolean;
}

const FAILED_OUTCOMES = new Set(['rolled back', 'rollback failed', 'failed']);

/**
 * The metrics of each (service, environment) in `scope` (default: every pair the records mention, in
 * service then environment order) over `window`. `records` are every record of the services concerned,
 * in any order, including those before the window: a lead time may start, and a failure be recovered,
 * outside it.
 */
export function deliveryMetrics(
  records: DeploymentRecord[],
  window: MetricsWindow,
  scope?: { service: string; environment: string }[],
): DeliveryMetrics[] {
  const byAt = [...records].sort((a, b) => a.at - b.at);
  const index = indexRecords(byAt);
  const deployments = groupDeployments(byAt);
  markOperatorRollbacks(byAt, deployments, index);
  markRecoveries(deployments, index);
  const pushes = pushTimes(byAt);
  const byPair = new Map<string, Deployment[]>();
  for (const d of deployments.values()) {
    const key = `${d.service}#${d.environment}`;
    const pair = byPair.get(key);
    if (pair) pair.push(d);
    else byPair.set(key, [d]);
  }
  const pairs =
    scope ??
    uniquePairs(byAt.filter((r) => r.kind !== 'approval')).sort(
      (a, b) => a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment),
    );
  return pairs.map(({ service, environment }) =>
    metricsOf(service, environment, byPair.get(`${service}#${environment}`) ?? [], index, pushes, window),
  );
}

/** Lookups that keep the computation near-linear over 100,000 records. */
interface RecordIndex {
  /** `deployed` records (deploys and operator rollbacks) per service and environment/region, by `at`. */
  deployedAt: Map<string, DeploymentRecord[]>;
  /** `deployed` deploy records per execution, by `at`: the stages on the way of a lead time. */
  deployedByExecution: Map<string, DeploymentRecord[]>;
  /** Operator rollbacks per service and environment, by `at`. */
  rollbacks: Map<string, DeploymentRecord[]>;
}

function indexRecords(byAt: DeploymentRecord[]): RecordIndex {
  const index: RecordIndex = { deployedAt: new Map(), deployedByExecution: new Map(), rollbacks: new Map() };
  const add = (map: Map<string, DeploymentRecord[]>, key: string, r: DeploymentRecord) => {
    const list = map.get(key);
    if (list) list.push(r);
    else map.set(key, [r]);
  };
  for (const r of byAt) {
    if (r.kind === 'rollback') add(index.rollbacks, `${r.service}#${r.environment}`, r);
    if (r.outcome !== 'deployed' || r.kind === 'approval') continue;
    add(index.deployedAt, placeKey(r), r);
    if (r.kind === 'deploy') add(index.deployedByExecution, `${r.service}#${r.execution}`, r);
  }
  return index;
}

function placeKey(r: DeploymentRecord): string {
  return `${r.service}#${targetKey(r)}`;
}

/** The index of the first record with `at` > `after` in a list sorted by `at` (binary search). */
function firstAfter(list: DeploymentRecord[], after: number): number {
  let [low, high] = [0, list.length];
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.at > after) high = mid;
    else low = mid + 1;
  }
  return low;
}

function metricsOf(
  service: string,
  environment: string,
  all: Deployment[],
  index: RecordIndex,
  pushes: Map<string, number>,
  window: MetricsWindow,
): DeliveryMetrics {
  const inWindow = (at: number) => at >= window.from && at <= window.to;
  const ended = all.filter((d) => inWindow(d.endedAt));
  const counted = ended.filter((d) => d.startedToGoOut);
  const successful = counted.filter((d) => d.deployedAt !== undefined);
  const failed = counted.filter((d) => d.failure);
  const rollbacks = (index.rollbacks.get(`${service}#${environment}`) ?? []).filter((r) => inWindow(r.at));
  const operatorRollbacks = new Set(
    rollbacks.filter((r) => r.outcome === 'deployed').map((r) => r.execution),
  );
  const failedOperatorRollbacks = new Set(
    rollbacks.filter((r) => FAILED_OUTCOMES.has(r.outcome)).map((r) => r.execution),
  );
  for (const name of operatorRollbacks) failedOperatorRollbacks.delete(name);

  const samples = successful
    .map((d) => leadTimeOf(d, index, pushes))
    .filter((s): s is LeadTimeSample => s !== undefined)
    .sort((a, b) => a.deployedAt - b.deployedAt);
  const withParts = samples.filter((s) => s.parts);
  const recovered = failed.filter((d) => d.recoveredBy);
  // Rework: deployments made to repair a failure. A recovering deployment of this environment that is not
  // an operator rollback (those are counted once, as rollbacks) and ended in the window.
  const repairs = new Set(
    all
      .map((d) => d.recoveredBy)
      .filter(
        (r): r is DeploymentRecord =>
          !!r && r.kind === 'deploy' && inWindow(r.at) && r.environment === environment,
      )
      .map((r) => r.execution),
  );
  const reworkDenominator = counted.length + operatorRollbacks.size;

  return {
    service,
    environment,
    window: { ...window, days: (window.to - window.from) / DAY_MS },
    deployments: {
      total: counted.length,
      successful: successful.length,
      failed: failed.length,
      superseded: ended.filter((d) => !d.startedToGoOut && d.superseded).length,
      stoppedBeforeDeploying: ended.filter((d) => !d.startedToGoOut && !d.superseded).length,
      operatorRollbacks: operatorRollbacks.size,
      failedOperatorRollbacks: failedOperatorRollbacks.size,
      perDay: window.to > window.from ? successful.length / ((window.to - window.from) / DAY_MS) : 0,
      byDay: byDay(
        successful.map((d) => d.deployedAt!),
        window,
      ),
    },
    leadTime: {
      ...spread(samples.map((s) => s.leadTimeMs)),
      from: {
        commit: samples.filter((s) => s.from === 'commit').length,
        push: samples.filter((s) => s.from === 'push').length,
        tag: samples.filter((s) => s.from === 'tag').length,
      },
      samples,
    },
    changeFailRate: counted.length === 0 ? null : failed.length / counted.length,
    recovery: {
      ...spread(recovered.map((d) => d.recoveredBy!.at - failureStart(d.failure!))),
      open: failed.length - recovered.length,
    },
    reworkRate: reworkDenominator === 0 ? null : (operatorRollbacks.size + repairs.size) / reworkDenominator,
    breakdown: {
      deployments: withParts.length,
      withoutTimeline: samples.length - withParts.length,
      median:
        withParts.length === 0
          ? null
          : partsFrom((part) => spread(withParts.map((s) => s.parts![part])).median!),
      total: partsFrom((part) => withParts.reduce((sum, s) => sum + s.parts![part], 0)),
    },
  };
}

/** Groups the stage records (not approvals, not operator rollbacks) by execution and environment. */
function groupDeployments(byAt: DeploymentRecord[]): Map<string, Deployment> {
  const groups = new Map<string, DeploymentRecord[]>();
  for (const record of byAt) {
    // An approval is part of its stage's deployment; only a rejection or expiry ends a stage.
    if (record.outcome === 'approved' || record.kind === 'rollback') continue;
    const key = deploymentKey(record.service, record.environment, record.execution);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  const deployments = new Map<string, Deployment>();
  for (const [key, records] of groups) {
    const first = records[0]!;
    // The last record per region says where that region ended (a redrive's `deployed` after its failure).
    const lastPerRegion = new Map<string, DeploymentRecord>();
    for (const r of records) lastPerRegion.set(r.region, r);
    const lasts = [...lastPerRegion.values()];
    // Successful when a region runs it and no region ended failed (a later region skipped, rejected or
    // frozen out does not undo the ones it reached).
    const anyDeployed = lasts.some((r) => r.outcome === 'deployed');
    const allDeployed = lasts.every((r) => !FAILED_OUTCOMES.has(r.outcome));
    const failure = records.find(
      (r) => FAILED_OUTCOMES.has(r.outcome) && (r.outcome !== 'failed' || r.startedAt !== undefined),
    );
    deployments.set(key, {
      service: first.service,
      environment: first.environment,
      execution: first.execution,
      version: first.version,
      records,
      endedAt: records[records.length - 1]!.at,
      ...(allDeployed &&
        anyDeployed && {
          deployedAt: Math.max(...records.filter((r) => r.outcome === 'deployed').map((r) => r.at)),
        }),
      ...(failure && { failure }),
      startedToGoOut: anyDeployed || failure !== undefined,
      superseded: records.every((r) => r.outcome === 'superseded'),
    });
  }
  return deployments;
}

/**
 * An operator's rollback that deployed marks what it replaced as failed: the last successful deploy of
 * that environment/region before the rollback started.
 */
function markOperatorRollbacks(
  byAt: DeploymentRecord[],
  deployments: Map<string, Deployment>,
  index: RecordIndex,
): void {
  for (const rollback of byAt) {
    if (rollback.kind !== 'rollback' || rollback.outcome !== 'deployed') continue;
    const started = rollback.startedAt ?? rollback.at;
    const here = index.deployedAt.get(placeKey(rollback)) ?? [];
    let replaced: DeploymentRecord | undefined;
    for (let i = firstAfter(here, started) - 1; i >= 0 && !replaced; i--)
      if (here[i]!.kind === 'deploy') replaced = here[i];
    if (!replaced) continue;
    const deployment = deployments.get(
      deploymentKey(replaced.service, replaced.environment, replaced.execution),
    );
    if (deployment && !deployment.failure) deployment.failure = replaced;
  }
}

/** Each failure is recovered by the next `deployed` record (any execution) in its environment/region. */
function markRecoveries(deployments: Map<string, Deployment>, index: RecordIndex): void {
  for (const deployment of deployments.values()) {
    const failure = deployment.failure;
    if (!failure) continue;
    const here = index.deployedAt.get(placeKey(failure)) ?? [];
    const recoveredBy = here[firstAfter(here, failure.at)];
    if (recoveredBy) deployment.recoveredBy = recoveredBy;
  }
}

/** When the failed change started to go out. */
function failureStart(failure: DeploymentRecord): number {
  return failure.startedAt ?? failure.at;
}

/** The earliest push of each service's commit: where a release's lead time starts without a commit time. */
function pushTimes(byAt: DeploymentRecord[]): Map<string, number> {
  const pushes = new Map<string, number>();
  for (const r of byAt) {
    if (r.kind === 'approval' || r.kind === 'rollback' || !r.triggeredAt) continue;
    if (triggerKindOf(r.version) !== 'push') continue;
    const at = Date.parse(r.triggeredAt);
    const key = `${r.service}#${r.commit}`;
    if (!Number.isNaN(at) && at < (pushes.get(key) ?? Infinity)) pushes.set(key, at);
  }
  return pushes;
}

function leadTimeOf(
  deployment: Deployment,
  index: RecordIndex,
  pushes: Map<string, number>,
): LeadTimeSample | undefined {
  const deployedAt = deployment.deployedAt!;
  const first = deployment.records[0]!;
  const start = leadTimeStartOf(
    {
      version: first.version,
      triggeredAt: first.triggeredAt,
      commitAt: deployment.records.find((r) => r.commitAt)?.commitAt,
    },
    pushes.get(`${deployment.service}#${first.commit}`),
  );
  if (!start) return undefined;
  const leadTimeMs = deployedAt - start.at;
  const triggeredAt = first.triggeredAt === undefined ? NaN : Date.parse(first.triggeredAt);
  const parts = partsOf(deployment, index, start.at, triggeredAt, leadTimeMs);
  return {
    execution: deployment.execution,
    version: deployment.version,
    deployedAt,
    leadTimeMs,
    from: start.from,
    ...(parts && { parts }),
  };
}

/**
 * Where a change's lead time starts (docs/metrics.md, "Change lead time"), first found: the commit's time
 * (`commitAt`, from the git event), the earliest image push of the commit (`pushAt`, when the caller knows
 * it from the push's records), the push or tag that started the execution (`triggeredAt`). Undefined when
 * none is known. `pipeline metrics` and the CloudWatch `LeadTime` both start here; only `pipeline metrics`
 * sees the other records, so only it can give a tag release without a commit time its push.
 */
export function leadTimeStartOf(
  record: Pick<DeploymentRecord, 'version' | 'triggeredAt' | 'commitAt'>,
  pushAt?: number,
): { at: number; from: LeadTimeStart } | undefined {
  const commitAt = record.commitAt === undefined ? NaN : Date.parse(record.commitAt);
  if (!Number.isNaN(commitAt)) return { at: commitAt, from: 'commit' };
  if (pushAt !== undefined) return { at: pushAt, from: 'push' };
  const triggeredAt = record.triggeredAt === undefined ? NaN : Date.parse(record.triggeredAt);
  if (Number.isNaN(triggeredAt)) return undefined;
  return { at: triggeredAt, from: triggerKindOf(record.version) === 'push' ? 'push' : 'tag' };
}

/** The parts of one stage, in the order they happen: what `stagePartsOf` cuts a stage's timeline into. */
export const STAGE_PARTS = ['queued', 'approval', 'frozen', 'deploying', 'smoke', 'bake'] as const;
export type StagePart = (typeof STAGE_PARTS)[number];
export type StageParts = Record<StagePart, number>;

/** A gate found open less than this after the lock had no approval: the Choice state took milliseconds. */
export const NO_APPROVAL_MS = 1000;

/**
 * One deployed stage's timeline cut into its parts, ms (docs/metrics.md, "Where the lead time goes"), the
 * one cut both `pipeline metrics` and the CloudWatch metrics use. Undefined unless the record is a
 * `deployed` record with a whole timeline (every mark): a partial one would put its missing parts in the
 * wrong place. The marks are taken in order, each no earlier than the one before, so every part is zero or
 * more and the parts add up to the stage's duration (`at` − `readyAt`) exactly:
 *   queued    readyAt → lockedAt
 *   approval  lockedAt → the gate first checked (its `gateClosedAt`, else `gateOpenedAt`); under
 *             {@link NO_APPROVAL_MS} it is no approval: zero, and those milliseconds count in the next part
 *   frozen    → gateOpenedAt, only when the gate was found closed (zero otherwise)
 *   deploying → deployedAt (ECS complete)
 *   smoke     → bakeStartedAt
 *   bake      → at (the stage complete)
 */
export function stagePartsOf(record: DeploymentRecord): StageParts | undefined {
  const t = record.timeline;
  if (record.outcome !== 'deployed' || !t) return undefined;
  const { lockedAt, gateOpenedAt, deployedAt, bakeStartedAt } = t;
  if (
    lockedAt === undefined ||
    gateOpenedAt === undefined ||
    deployedAt === undefined ||
    bakeStartedAt === undefined
  )
    return undefined;
  const ready = t.readyAt;
  const locked = Math.max(ready, lockedAt);
  const gateFirst = Math.max(locked, t.gateClosedAt ?? gateOpenedAt);
  const approved = gateFirst - locked >= NO_APPROVAL_MS ? gateFirst : locked;
  const opened = t.gateClosedAt === undefined ? approved : Math.max(approved, gateOpenedAt);
  const deployed = Math.max(opened, deployedAt);
  const baking = Math.max(deployed, bakeStartedAt);
  const done = Math.max(baking, record.at);
  return {
    queued: locked - ready,
    approval: approved - locked,
    frozen: opened - approved,
    deploying: deployed - opened,
    smoke: baking - deployed,
    bake: done - baking,
  };
}

/**
 * The lead time split into parts: before the pipeline, then the parts of every stage of the execution on
 * the way (every `deployed` record of the execution up to this environment's last one, cut by
 * {@link stagePartsOf}); `other` is the rest, so the parts add up to the lead time.
 */
function partsOf(
  deployment: Deployment,
  index: RecordIndex,
  startAt: number,
  triggeredAt: number,
  leadTimeMs: number,
): LeadTimeParts | undefined {
  if (Number.isNaN(triggeredAt)) return undefined;
  const stages = (
    index.deployedByExecution.get(`${deployment.service}#${deployment.execution}`) ?? []
  ).filter((r) => r.at <= deployment.deployedAt!);
  const parts = partsFrom(() => 0);
  parts.beforePipeline = Math.max(0, triggeredAt - startAt);
  for (const stage of stages) {
    const stageParts = stagePartsOf(stage);
    if (!stageParts) return undefined;
    for (const part of STAGE_PARTS) parts[part] += stageParts[part];
  }
  const accounted = LEAD_TIME_PARTS.reduce((sum, part) => sum + parts[part], 0);
  parts.other = leadTimeMs - accounted;
  return parts;
}

function partsFrom(value: (part: LeadTimePart) => number): LeadTimeParts {
  return Object.fromEntries(LEAD_TIME_PARTS.map((part) => [part, value(part)])) as LeadTimeParts;
}

/** Nearest-rank percentile: the value at position ⌈p·n⌉ of the sorted values (1-based). */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

function spread(values: number[]): Spread {
  return { count: values.length, median: percentile(values, 0.5), p90: percentile(values, 0.9) };
}

function byDay(times: number[], window: MetricsWindow): { day: string; count: number }[] {
  const days: { day: string; count: number }[] = [];
  const first = Math.floor(window.from / DAY_MS);
  const last = Math.floor(window.to / DAY_MS);
  for (let d = first; d <= last; d++) {
    const start = d * DAY_MS;
    days.push({
      day: new Date(start).toISOString().slice(0, 10),
      count: times.filter((t) => t >= start && t < start + DAY_MS).length,
    });
  }
  return days;
}

function uniquePairs(records: DeploymentRecord[]): { service: string; environment: string }[] {
  const seen = new Map<string, { service: string; environment: string }>();
  for (const r of records)
    seen.set(`${r.service}#${r.environment}`, { service: r.service, environment: r.environment });
  return [...seen.values()];
}

function deploymentKey(service: string, environment: string, execution: string): string {
  return `${service}#${environment}#${execution}`;
}

/**
 * The window `--since` names, ending at `now`: a duration (`30d`, `12h`, `2w`) or a UTC date
 * (`2026-11-01`, from its midnight). Returns a problem sentence for anything else.
 */
export function parseSince(since: string, now: number): MetricsWindow | { problem: string } {
  const duration = /^(\d{1,4})([hdw])$/.exec(since);
  if (duration) {
    const n = Number(duration[1]);
    const unit = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[duration[2] as 'h' | 'd' | 'w'];
    if (n === 0) return { problem: `--since must be longer than nothing, got "${since}"` };
    return { from: now - n * unit, to: now };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(since)) {
    const from = Date.parse(`${since}T00:00:00Z`);
    if (Number.isNaN(from) || new Date(from).toISOString().slice(0, 10) !== since)
      return { problem: `--since "${since}" is not a calendar date` };
    if (from >= now) return { problem: `--since ${since} is not in the past` };
    return { from, to: now };
  }
  return {
    problem: `--since must be a duration like 30d, 12h or 2w, or a date like 2026-11-01, got "${since}"`,
  };
}
