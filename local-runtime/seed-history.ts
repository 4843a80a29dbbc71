import { createHash } from 'node:crypto';
import type { ApprovalView } from '../shared/approvals/approval';
import type { Clock } from '../shared/clock';
import type { PipelineConfig } from '../shared/config/config.schema';
import { AutoAdvanceClock } from './auto-advance-clock';
import type { VersionBehaviour } from './local-world';
import { LocalPipeline } from './local-pipeline';
import { SeededRandom } from './seeded-random';

/**
 * A history for the metrics to show on a fresh machine (`pipeline local --seed-history 30d`): weeks of
 * pushes and releases of one service, played through the real state machines on the virtual clock, with
 * what a team's weeks have: builds some minutes after their commit, pushes close enough to queue behind
 * each other, broken builds rolled back in PPE and fixed an hour later, two releases a week approved after
 * a while, a production freeze a release waits out, and a release whose alarms fire in one region.
 * Deterministic: the same days and seed give the same history (and the same metrics).
 */

export interface HistoryPlan {
  /** Pipeline time when the history starts: the local stack's clock must start here. */
  start: number;
  /** Behaviours of the commits that fail (the local stack's `behaviours` option). */
  behaviours: Record<string, VersionBehaviour>;
  /** How long the local approvers take (the local stack's `approvalDelayMs` option). */
  approvalDelayMs: (approval: ApprovalView) => number;
  actions: HistoryAction[];
}

export type HistoryAction =
  | { kind: 'event'; at: number; event: Record<string, unknown> }
  | { kind: 'freeze'; at: number; environment: string; reason: string }
  | { kind: 'unfreeze'; at: number; environment: string };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface HistoryOptions {
  days: number;
  /** The history ends before this (pipeline time); it starts `days` days earlier, at midnight UTC. */
  end: number;
  service: string;
  /** The service's ECR repository, and its git repository (default `example-org/<service>`). */
  repository: string;
  gitRepository?: string;
  /** The production environment and a region of it where one release's alarms fire. */
  production: { environment: string; failingRegion: string };
  account?: string;
  region?: string;
  seed?: number;
}

/** What happens, day by day; nothing runs yet. */
export function planHistory(options: HistoryOptions): HistoryPlan {
  const random = new SeededRandom(options.seed ?? 18);
  const start = Math.floor(options.end / DAY) * DAY - options.days * DAY;
  const behaviours: Record<string, VersionBehaviour> = {};
  const actions: HistoryAction[] = [];
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'eu-west-1';
  let counter = 0;
  let minor = 0;
  let lastGoodCommit: string | undefined;
  let releases = 0;
  /** When each commit was made: its image is pushed after a build of about ten minutes. */
  const committedAt = new Map<string, number>();

  const push = (at: number, broken?: VersionBehaviour): string => {
    counter++;
    const commit = hex(`commit-${options.seed ?? 18}-${counter}`, 40);
    committedAt.set(commit, at - 10 * 60_000);
    if (broken) behaviours[commit.slice(0, 12)] = broken;
    actions.push({
      kind: 'event',
      at,
      event: {
        version: '0',
        id: uuidOf(`push-${commit}`),
        'detail-type': 'ECR Image Action',
        source: 'aws.ecr',
        account,
        time: iso(at),
        region,
        resources: [],
        detail: {
          result: 'SUCCESS',
          'repository-name': options.repository,
          'image-digest': `sha256:${hex(`digest-${commit}`, 64)}`,
          'action-type': 'PUSH',
          'image-tag': `sha-${commit}`,
        },
      },
    });
    return commit;
  };
  const tag = (at: number, commit: string, version: string) =>
    actions.push({
      kind: 'event',
      at,
      event: {
        version: '0',
        id: uuidOf(`tag-${version}`),
        'detail-type': 'Git Tag Created',
        source: 'ecs-promotion-pipeline.git',
        account,
        time: iso(at),
        region,
        resources: [],
        detail: {
          repository: options.gitRepository ?? `example-org/${options.service}`,
          tag: version,
          commit,
          // The release's lead time starts at the commit, as with a GitHub tag push (docs/metrics.md).
          ...(committedAt.has(commit) && { commitAt: iso(committedAt.get(commit)!) }),
          createdBy: 'release-manager@example.com',
          origin: 'custom',
        },
      },
    });

  for (let day = 0; day < options.days; day++) {
    const midnight = start + day * DAY;
    const weekday = new Date(midnight).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    // Pushes through the working day; now and then two land within minutes (the second queues).
    const pushes = 1 + random.below(3);
    let at = midnight + 9 * HOUR + random.below(60) * 60_000;
    for (let i = 0; i < pushes; i++) {
      const broken = random.chance(0.1);
      const commit = push(at, broken ? { failsHealthCheck: true } : undefined);
      if (broken) push(at + (40 + random.below(50)) * 60_000);
      else lastGoodCommit = commit;
      if (!broken && random.chance(0.25)) lastGoodCommit = push(at + 2 * 60_000);
      at += (2 + random.below(4)) * HOUR;
    }
    // Releases on Tuesdays and Thursdays, of the last good build.
    if ((weekday === 2 || weekday === 4) && lastGoodCommit) {
      releases++;
      minor++;
      const tagAt = midnight + 15 * HOUR + random.below(30) * 60_000;
      if (releases === 2) {
        // An incident freezes production for the afternoon: this release waits at the gate.
        actions.push({
          kind: 'freeze',
          at: tagAt - HOUR,
          environment: options.production.environment,
          reason: 'incident: payment provider outage',
        });
        actions.push({ kind: 'unfreeze', at: tagAt + 3 * HOUR, environment: options.production.environment });
      }
      if (releases === 3) {
        // This release's alarms fire in one production region: rolled back there, fixed the next morning.
        const bad = push(tagAt - 2 * HOUR, {
          breachesAlarms: true,
          only: [{ region: options.production.failingRegion }],
        });
        tag(tagAt, bad, `v1.${minor}.0`);
        const fix = push(tagAt + 17 * HOUR);
        minor++;
        tag(tagAt + 18 * HOUR, fix, `v1.${minor}.0`);
        lastGoodCommit = fix;
        continue;
      }
      tag(tagAt, lastGoodCommit, `v1.${minor}.0`);
    }
  }
  actions.sort((a, b) => a.at - b.at);
  // Approvers answer within ten minutes to two hours, the same way on every run: the delay follows what
  // is approved (execution, environment, region), never the approval's id, which is random.
  const approvalDelayMs = (approval: ApprovalView) =>
    (10 +
      (parseInt(hex(`${approval.executionName}#${approval.environment}#${approval.region}`, 4), 16) % 110)) *
    60_000;
  return { start, behaviours, approvalDelayMs, actions };
}

/**
 * Plays the plan on a local stack started with its `start` clock, `behaviours` and `approvalDelayMs`: each
 * action at its time (the virtual clock jumps there once the stack is idle), then waits until everything
 * settled. Returns how many events it sent.
 */
export async function playHistory(
  plan: HistoryPlan,
  pipeline: Pick<LocalPipeline, 'putEvent' | 'settled' | 'freezes'>,
  clock: Clock,
  onProgress?: (action: HistoryAction) => void,
): Promise<{ events: number }> {
  let events = 0;
  for (const action of plan.actions) {
    const wait = action.at - clock.now();
    // The clock jumps to the next due timer while the stack is idle: a sleep is how time reaches `at`.
    if (wait > 0) await clock.sleep(wait);
    if (action.kind === 'event') {
      await pipeline.putEvent(action.event);
      events++;
    } else if (action.kind === 'freeze')
      await pipeline.freezes.freeze(action.environment, {
        reason: action.reason,
        by: 'oncall@example.com',
        at: clock.now(),
      });
    else await pipeline.freezes.unfreeze(action.environment, { by: 'oncall@example.com', at: clock.now() });
    onProgress?.(action);
  }
  await pipeline.settled();
  return { events };
}

/**
 * Plays `days` days of history (ending now) into `dataDir` with a local stack of its own on the virtual
 * clock, and closes it: `pipeline local` then starts on that directory, its clock going on from there.
 * The first service of the config gets the history; the last environment is production.
 */
export async function seedLocalHistory(
  config: PipelineConfig,
  dataDir: string,
  days: number,
  now: number = Date.now(),
): Promise<{ events: number; from: number; to: number }> {
  const service = config.services[0]!;
  const production = config.environments[config.environments.length - 1]!;
  const plan = planHistory({
    days,
    end: now,
    service: service.name,
    repository: service.ecrRepository,
    ...(service.gitRepository !== undefined && { gitRepository: service.gitRepository }),
    production: {
      environment: production.name,
      failingRegion: production.regions[1] ?? production.regions[0]!,
    },
  });
  const clock = new AutoAdvanceClock(plan.start);
  const pipeline = await LocalPipeline.start({
    config,
    clock: () => clock,
    dataDir,
    behaviours: plan.behaviours,
    approvalDelayMs: plan.approvalDelayMs,
    // Saving the growing state after every change took most of the seeding time: save once, at the end.
    saveOnlyOnClose: true,
  });
  try {
    const { events } = await playHistory(plan, pipeline, clock);
    // The stack started on the directory goes on from the saved time: bring it to now first.
    if (now > clock.now()) await clock.sleep(now - clock.now());
    return { events, from: plan.start, to: clock.now() };
  } finally {
    await pipeline.close();
  }
}

function hex(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, length);
}

function uuidOf(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function iso(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
