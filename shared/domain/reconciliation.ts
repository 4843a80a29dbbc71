import type { RegistryImage } from '../ports/images';
import { commitOfTag, shortDigest } from './image';

/** The newest build of a repository: an image tagged `sha-<commit>`. */
export interface CommitImage {
  digest: string;
  /** The longest `sha-` tag of the image (the full commit when the build pushed several lengths). */
  tag: string;
  commit: string;
  pushedAt: number;
  registryId: string;
}

export interface ReconciliationPolicy {
  graceMinutes: number;
  lookbackHours: number;
}

export type ReconcileVerdict = { promote: true; image: CommitImage } | { promote: false; reason: string };

/**
 * The image a repository's builds pushed last: the newest by push time among those tagged `sha-<commit>`.
 * `latest`, version tags alone and untagged images are not builds. Ties (same push time) go to the
 * greater digest, so two sweeps always agree.
 */
export function newestCommitImage(images: RegistryImage[]): CommitImage | undefined {
  let newest: CommitImage | undefined;
  for (const image of images) {
    const tag = image.tags
      .filter((t) => commitOfTag(t) !== undefined)
      .sort((a, b) => b.length - a.length || a.localeCompare(b))[0];
    if (tag === undefined) continue;
    const candidate = { digest: image.digest, tag, commit: commitOfTag(tag)!, pushedAt: image.pushedAt };
    if (
      !newest ||
      candidate.pushedAt > newest.pushedAt ||
      (candidate.pushedAt === newest.pushedAt && candidate.digest > newest.digest)
    )
      newest = { ...candidate, registryId: image.registryId };
  }
  return newest;
}

/** The digest an image reference pins (`repo@sha256:…`), or undefined for a reference by tag. */
export function pinnedDigest(imageReference: string): string | undefined {
  return /@(sha256:[a-f0-9]{64})$/.exec(imageReference)?.[1];
}

/**
 * Whether the newest `sha-*` image of a repository should be promoted because its push event was lost.
 * Not when PPE runs it already, nor when PPE runs an image pushed at the same time or later (the sweep never
 * deploys backwards), nor within the grace period (its event is normally seconds behind), nor past the
 * lookback (Step Functions may have forgotten a promotion that failed on purpose by then). Whether a
 * promotion of the image already ran is for the caller to ask Step Functions.
 */
export function reconcileVerdict(input: {
  images: RegistryImage[];
  /** The digest PPE's container runs, when pinned by digest. */
  runningDigest: string | undefined;
  now: number;
  policy: ReconciliationPolicy;
}): ReconcileVerdict {
  const newest = newestCommitImage(input.images);
  if (!newest) return { promote: false, reason: 'no image tagged sha-<commit> in the repository' };
  const short = `${newest.tag} (${shortDigest(newest.digest)})`;
  if (input.runningDigest === newest.digest)
    return { promote: false, reason: `PPE runs the newest image ${short} already` };

  const running = input.images.find((image) => image.digest === input.runningDigest);
  if (running && running.pushedAt >= newest.pushedAt)
    return {
      promote: false,
      reason:
        `PPE runs ${shortDigest(running.digest)}, pushed ${iso(running.pushedAt)}, not older than ` +
        `the newest sha-* image ${short}: the sweep never deploys backwards`,
    };

  const ageMs = input.now - newest.pushedAt;
  if (ageMs < input.policy.graceMinutes * 60_000)
    return {
      promote: false,
      reason: `${short} was pushed ${Math.max(0, Math.round(ageMs / 1000))}s ago: its push event may still arrive`,
    };
  if (ageMs > input.policy.lookbackHours * 3_600_000)
    return {
      promote: false,
      reason: `${short} was pushed ${iso(newest.pushedAt)}, before the ${input.policy.lookbackHours}h lookback`,
    };
  return { promote: true, image: newest };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The EventBridge schedule of the sweep: `rate(1 minute)`, `rate(5 minutes)`. */
export function reconcileSchedule(everyMinutes: number): string {
  return everyMinutes === 1 ? 'rate(1 minute)' : `rate(${everyMinutes} minutes)`;
}
