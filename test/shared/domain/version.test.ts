import {
  compareVersions,
  parseVersionTag,
  whyNotAVersion,
  type ReleaseVersion,
} from '../../../shared/domain/version';

/**
 * Release versions (shared/domain/version.ts): which tags release, and semantic-version order, pre-releases
 * included. The order decides downgrade refusals (check-release) and which waiting version supersedes
 * another (the stage lock).
 */
function version(tag: string): ReleaseVersion {
  const parsed = parseVersionTag(tag);
  if (!parsed) throw new Error(`test setup: ${tag} should parse`);
  return parsed;
}

describe('parseVersionTag', () => {
  it.each<[string, ReleaseVersion | undefined]>([
    ['v1.2.3', { tag: 'v1.2.3', major: 1, minor: 2, patch: 3 }],
    ['v0.0.0', { tag: 'v0.0.0', major: 0, minor: 0, patch: 0 }],
    ['v10.20.30', { tag: 'v10.20.30', major: 10, minor: 20, patch: 30 }],
    ['v999999999.0.1', { tag: 'v999999999.0.1', major: 999999999, minor: 0, patch: 1 }],
    ['v1.4.0-rc.1', { tag: 'v1.4.0-rc.1', major: 1, minor: 4, patch: 0, prerelease: 'rc.1' }],
    ['v1.4.0-alpha', { tag: 'v1.4.0-alpha', major: 1, minor: 4, patch: 0, prerelease: 'alpha' }],
    ['v1.4.0-0.3.7', { tag: 'v1.4.0-0.3.7', major: 1, minor: 4, patch: 0, prerelease: '0.3.7' }],
    ['v1.4.0-x.7.z-92', { tag: 'v1.4.0-x.7.z-92', major: 1, minor: 4, patch: 0, prerelease: 'x.7.z-92' }],
    ['v1.2', undefined],
    ['v1', undefined],
    ['1.2.3', undefined],
    ['V1.2.3', undefined],
    ['v01.2.3', undefined],
    ['v1.02.3', undefined],
    ['v1.2.03', undefined],
    ['v1000000000.0.0', undefined],
    ['v1.2.3-', undefined],
    ['v1.2.3-rc..1', undefined],
    ['v1.2.3+build.5', undefined],
    ['v1.2.3 ', undefined],
    [' v1.2.3', undefined],
    ['v1.2.3\n', undefined],
    ['xv1.2.3', undefined],
    ['v1.2.3.4', undefined],
    ['release-1', undefined],
    ['latest', undefined],
    ['', undefined],
  ])('%j parses to %j', (tag, expected) => {
    // Strict: a release has no `prerelease` key at all, not one set to undefined.
    expect(parseVersionTag(tag)).toStrictEqual(expected);
  });

  it('when a tag is no version, the reason names it (cut to 80 characters) and the expected form', () => {
    expect(whyNotAVersion('v1.2')).toBe(
      'tag "v1.2" is not a release tag: expected vMAJOR.MINOR.PATCH (or a pre-release such as v1.4.0-rc.1)',
    );
    expect(whyNotAVersion('x'.repeat(100))).toBe(
      `tag "${'x'.repeat(80)}" is not a release tag: expected vMAJOR.MINOR.PATCH (or a pre-release such as v1.4.0-rc.1)`,
    );
  });
});

describe('compareVersions', () => {
  /** Strictly ascending, as semver.org orders them (pre-releases before their release). */
  const ASCENDING = [
    'v0.0.1',
    'v0.1.0',
    'v0.9.9',
    'v0.10.0',
    'v1.0.0-0',
    'v1.0.0-1',
    'v1.0.0-2',
    'v1.0.0-10',
    'v1.0.0-alpha',
    'v1.0.0-alpha.1',
    'v1.0.0-alpha.beta',
    'v1.0.0-beta',
    'v1.0.0-beta.2',
    'v1.0.0-beta.11',
    'v1.0.0-rc.1',
    'v1.0.0',
    'v1.0.1',
    'v1.0.10',
    'v1.2.0',
    'v1.10.0',
    'v2.0.0-rc.1',
    'v2.0.0',
    'v10.0.0',
  ];
  const pairs = ASCENDING.flatMap((lower, i) => ASCENDING.slice(i + 1).map((higher) => [lower, higher]));

  it.each(pairs)('%s is older than %s (and the reverse compares the other way)', (lower, higher) => {
    expect(Math.sign(compareVersions(version(lower!), version(higher!)))).toBe(-1);
    expect(Math.sign(compareVersions(version(higher!), version(lower!)))).toBe(1);
  });

  it.each(ASCENDING)('%s compares equal to itself', (tag) => {
    expect(compareVersions(version(tag), version(tag))).toBe(0);
  });

  it.each<[string, string, number]>([
    // The exact differences the sort relies on: numeric parts subtract, text parts give ±1.
    ['v3.0.0', 'v1.0.0', 2],
    ['v1.5.0', 'v1.2.0', 3],
    ['v1.0.7', 'v1.0.3', 4],
    ['v1.0.0-rc.10', 'v1.0.0-rc.2', 8],
    ['v1.0.0-beta', 'v1.0.0-alpha', 1],
    ['v1.0.0-alpha', 'v1.0.0-beta', -1],
    ['v1.0.0', 'v1.0.0-rc.1', 1],
    ['v1.0.0-rc.1', 'v1.0.0', -1],
    ['v1.0.0-rc.1', 'v1.0.0-rc', 1],
    ['v1.0.0-rc', 'v1.0.0-rc.1', -1],
    ['v1.0.0-alpha', 'v1.0.0-1', 1],
    ['v1.0.0-1', 'v1.0.0-alpha', -1],
    ['v1.0.0-rc.1.a', 'v1.0.0-rc.1.a', 0],
    ['v1.0.0-rc.2', 'v1.0.0-rc.10', -8],
  ])('compareVersions(%s, %s) is %d', (a, b, expected) => {
    expect(compareVersions(version(a), version(b))).toBe(expected);
  });

  // Identifiers that are only partly digits are text, and text sorts after numbers even where a plain
  // character comparison would say otherwise ('-' sorts before the digits).
  it.each<[string, string]>([
    ['v1.0.0-2', 'v1.0.0-a1'],
    ['v1.0.0-2', 'v1.0.0-1a'],
    ['v1.0.0-rc.1', 'v1.0.0-rc.-a'],
    ['v1.0.0-rc.10', 'v1.0.0-rc.-a'],
    ['v1.0.0-rc.1b', 'v1.0.0-rc.b'],
    ['v1.0.0-rc.-a', 'v1.0.0-rc.1b'],
    ['v1.0.0-a', 'v1.0.0-b1'],
  ])('%s is older than %s by exactly one step, and the reverse the other way', (lower, higher) => {
    expect(compareVersions(version(lower), version(higher))).toBe(-1);
    expect(compareVersions(version(higher), version(lower))).toBe(1);
  });
});
