/**
 * Release versions: git tags `vMAJOR.MINOR.PATCH` release to staging and production; pre-release tags
 * `vMAJOR.MINOR.PATCH-<pre>` (e.g. v1.4.0-rc.1) go to staging only; anything else (`v1.4`, `release-1`,
 * `latest`) releases nothing. One parser, used by every tag source and by the release steps.
 */
export interface ReleaseVersion {
  tag: string;
  major: number;
  minor: number;
  patch: number;
  /** The part after `-`, for pre-releases. */
  prerelease?: string;
}

const VERSION_TAG =
  /^v(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** The version a tag names, or undefined when the tag is not a (pre-)release tag. */
export function parseVersionTag(tag: string): ReleaseVersion | undefined {
  const match = VERSION_TAG.exec(tag);
  if (!match) return undefined;
  return {
    tag,
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    ...(match[4] !== undefined && { prerelease: match[4] }),
  };
}

/** Why a tag releases nothing, for logs and ignore reasons. */
export function whyNotAVersion(tag: string): string {
  return `tag "${tag.slice(0, 80)}" is not a release tag: expected vMAJOR.MINOR.PATCH (or a pre-release such as v1.4.0-rc.1)`;
}

/**
 * Semantic-version order: negative when `a` is older than `b`. A pre-release is older than its release;
 * pre-release identifiers compare numerically when both are numbers, else as text.
 */
export function compareVersions(a: ReleaseVersion, b: ReleaseVersion): number {
  for (const key of ['major', 'minor', 'patch'] as const) if (a[key] !== b[key]) return a[key] - b[key];
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === undefined) return 1;
  if (b.prerelease === undefined) return -1;
  const left = a.prerelease.split('.');
  const right = b.prerelease.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y);
    if (numeric) return Number(x) - Number(y);
    if (/^\d+$/.test(x)) return -1;
    if (/^\d+$/.test(y)) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
