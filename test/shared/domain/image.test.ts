import {
  COMMIT_TAG,
  DIGEST,
  commitOfTag,
  imageRefSchema,
  imageUri,
  shortDigest,
} from '../../../shared/domain/image';

/** Image tags and digests (shared/domain/image.ts): what counts as a build of a commit, exactly. */
describe('commitOfTag', () => {
  it.each<[string, string | undefined]>([
    ['sha-4b825dc', '4b825dc'],
    ['sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904', '4b825dc642cb6eb9a060e54bf8d69288fbee4904'],
    ['sha-4b825d', undefined],
    ['sha-4b825dc642cb6eb9a060e54bf8d69288fbee49041', undefined],
    ['sha-4b825dc-dirty', undefined],
    ['sha-4b825dc ', undefined],
    ['sha-4b825dc\n', undefined],
    ['sha-4B825DC', undefined],
    ['sha-4b825dg', undefined],
    ['xsha-4b825dc', undefined],
    ['SHA-4b825dc', undefined],
    ['sha4b825dc', undefined],
    ['sha-', undefined],
    ['latest', undefined],
    ['v1.2.3', undefined],
    ['', undefined],
  ])('%j is the build of commit %j', (tag, commit) => {
    expect(commitOfTag(tag)).toBe(commit);
    expect(COMMIT_TAG.test(tag)).toBe(commit !== undefined);
  });
});

describe('DIGEST', () => {
  it.each<[string, boolean]>([
    [`sha256:${'a'.repeat(64)}`, true],
    [`sha256:${'0123456789abcdef'.repeat(4)}`, true],
    [`sha256:${'a'.repeat(63)}`, false],
    [`sha256:${'a'.repeat(65)}`, false],
    [`sha256:${'A'.repeat(64)}`, false],
    [`sha512:${'a'.repeat(64)}`, false],
    [`xsha256:${'a'.repeat(64)}`, false],
    [`sha256:${'a'.repeat(64)}\n`, false],
  ])('%j is a digest: %s', (digest, expected) => {
    expect(DIGEST.test(digest)).toBe(expected);
  });
});

describe('image references', () => {
  const image = {
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    repository: 'orders-api',
    digest: `sha256:3f7a9c${'0'.repeat(58)}`,
  };
  it('imageUri pins the repository by digest', () => {
    expect(imageUri(image)).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@${image.digest}`);
  });
  it('shortDigest is the first 12 hex characters', () => {
    expect(shortDigest(image.digest)).toBe('3f7a9c000000');
    expect(shortDigest('0123456789abcdef')).toBe('0123456789ab');
  });
});

describe('imageRefSchema', () => {
  const valid = {
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    repository: 'orders-api',
    digest: `sha256:${'a'.repeat(64)}`,
  };
  /** The first problem zod reports, as `field: message`, or 'ok'. */
  const check = (image: Record<string, unknown>) => {
    const result = imageRefSchema.safeParse(image);
    return result.success
      ? 'ok'
      : `${result.error.issues[0]!.path.join('.')}: ${result.error.issues[0]!.message}`;
  };

  it.each<[string, Record<string, unknown>, string]>([
    ['a pinned image', valid, 'ok'],
    ['one-character names', { ...valid, registry: 'r', repository: 'o' }, 'ok'],
    ['256-character names', { ...valid, registry: 'r'.repeat(256), repository: 'o'.repeat(256) }, 'ok'],
    [
      'an empty registry',
      { ...valid, registry: '' },
      'registry: Too small: expected string to have >=1 characters',
    ],
    [
      'an empty repository',
      { ...valid, repository: '' },
      'repository: Too small: expected string to have >=1 characters',
    ],
    [
      'a 257-character registry',
      { ...valid, registry: 'r'.repeat(257) },
      'registry: Too big: expected string to have <=256 characters',
    ],
    [
      'a 257-character repository',
      { ...valid, repository: 'o'.repeat(257) },
      'repository: Too big: expected string to have <=256 characters',
    ],
    ['a tag instead of a digest', { ...valid, digest: 'latest' }, 'digest: must be sha256:<64 hex>'],
  ])('%s: %s', (_what, image, expected) => {
    expect(check(image)).toBe(expected);
  });
});
