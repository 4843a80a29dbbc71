/**
 * What the tracing bundle uses in place of `semver` (scripts/build-functions.ts swaps it in for the X-Ray
 * SDK). The SDK imports the whole package (28 KB minified, a quarter of tracing.js, and some forty regular
 * expressions built when it loads) for one call: the AWS SDK v2 patcher (`captureAWS`) checks that the v2
 * SDK is at least a given version. The pipeline traces no v2 client, so the call is never made; were it
 * made, versions are plain `major.minor.patch` (the v2 SDK's `VERSION`), which this compares as semver does.
 */
const PLAIN_VERSION = /^v?(\d+)\.(\d+)\.(\d+)$/;

function parts(version: string): number[] {
  const match = PLAIN_VERSION.exec(version.trim());
  if (!match)
    throw new Error(
      `tracing.js compares plain major.minor.patch versions only, not "${version}" ` +
        '(scripts/bundle/tracing-semver.ts stands in for semver there)',
    );
  return match.slice(1).map(Number);
}

/** Whether version `a` is at least version `b`. */
export function gte(a: string, b: string): boolean {
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (left[i] !== right[i]) return left[i]! > right[i]!;
  return true;
}
