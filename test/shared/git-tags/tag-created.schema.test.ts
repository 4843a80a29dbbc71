import { matchesEventPattern } from '../../../local-runtime/event-pattern';
import {
  codeCommitTagCreatedPattern,
  gitRefProblem,
  normalizeCodeCommitTag,
  tagCreatedDetailSchema,
  tagCreatedEventSchema,
  tagCreatedPattern,
  TAG_EVENT_DETAIL_TYPE,
  TAG_EVENT_SOURCE,
} from '../../../shared/git-tags/tag-created.schema';
import { loadEvent } from '../../support/fixtures';

const DETAIL = {
  repository: 'example-org/orders-api',
  tag: 'v1.4.0',
  commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  origin: 'github',
};

describe('Git Tag Created detail', () => {
  it('when the detail is complete, it parses it and keeps the optional fields', () => {
    // Prepare
    const detail = { ...DETAIL, createdBy: 'jane-doe', allowDowngrade: true };

    // Act
    const parsed = tagCreatedDetailSchema.parse(detail);

    // Assess
    expect(parsed).toEqual(detail);
  });

  it('when the repository is a CodeCommit name, it accepts it', () => {
    // Act
    const result = tagCreatedDetailSchema.safeParse({
      ...DETAIL,
      repository: 'orders-api',
      origin: 'codecommit',
    });

    // Assess
    expect(result.success).toBe(true);
  });

  it.each([
    ['an abbreviated commit', { commit: '4b825dc' }, 'commit'],
    ['an uppercase commit', { commit: '4B825DC642CB6EB9A060E54BF8D69288FBEE4904' }, 'commit'],
    ['a repository with three parts', { repository: 'a/b/c' }, 'repository'],
    ['a repository with markup', { repository: '<script>/x' }, 'repository'],
    ['a tag over 255 characters', { tag: `v${'1'.repeat(255)}` }, 'tag'],
    ['a tag with a space', { tag: 'v1.4.0 beta' }, 'tag'],
    ['an unknown origin', { origin: 'gitlab' }, 'origin'],
    ['createdBy with a newline', { createdBy: 'jane\nforged log line' }, 'createdBy'],
  ])('when the detail has %s, it names the field', (_what, change, field) => {
    // Act
    const result = tagCreatedDetailSchema.safeParse({ ...DETAIL, ...change });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('when the detail carries unknown fields, it drops them', () => {
    // Act
    const parsed = tagCreatedDetailSchema.parse({ ...DETAIL, pipeline: 'gitlab-ci', extra: 1 });

    // Assess
    expect(parsed).toEqual(DETAIL);
  });

  it('when a CI sends the custom sample event, the whole envelope parses', () => {
    // Act
    const event = tagCreatedEventSchema.parse(loadEvent('git-tag-created-custom.json'));

    // Assess
    expect(event.detail).toEqual({
      repository: 'example-org/payments-api',
      tag: 'v2.0.1',
      commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
      createdBy: 'gitlab-ci',
      allowDowngrade: false,
      origin: 'custom',
    });
  });
});

describe('gitRefProblem', () => {
  it.each(['v1.4.0', 'release/v1.4.0', 'v1.4.0-rc.1', 'a', 'x@y'])(
    'when the name is %p, it finds no problem',
    (name) => {
      // Act
      const problem = gitRefProblem(name);

      // Assess
      expect(problem).toBeUndefined();
    },
  );

  it.each([
    '',
    '@',
    'v1..4',
    'v1.4.0.lock',
    'a/.hidden',
    '.v1',
    'v1.',
    '/v1',
    'v1/',
    'a//b',
    'v1@{0}',
    'v1~1',
    'v1^',
    'v1:0',
    'v1?',
    'v*',
    'v[1]',
    'back\\slash',
    'tab\there',
    'del\u007f',
  ])('when the name is %p, it names the rule broken', (name) => {
    // Act
    const problem = gitRefProblem(name);

    // Assess
    expect(problem).toEqual(expect.any(String));
  });
});

describe('event patterns', () => {
  it('when a Git Tag Created event arrives on the pipeline bus, the tag rule matches it and nothing else', () => {
    // Prepare
    const pattern = tagCreatedPattern();

    // Act
    const matches = [
      'git-tag-created-custom.json',
      'codecommit-tag-created.json',
      'ecr-push-orders-api.json',
    ].map((file) => matchesEventPattern(pattern, loadEvent(file)));

    // Assess
    expect(pattern).toEqual({ source: [TAG_EVENT_SOURCE], 'detail-type': [TAG_EVENT_DETAIL_TYPE] });
    expect(matches).toEqual([true, false, false]);
  });

  it('when CodeCommit creates a tag, the CodeCommit rule matches it but not a branch update', () => {
    // Prepare
    const pattern = codeCommitTagCreatedPattern(['orders-api']);

    // Act
    const tag = matchesEventPattern(pattern, loadEvent('codecommit-tag-created.json'));
    const branch = matchesEventPattern(pattern, loadEvent('codecommit-branch-updated.json'));
    const otherRepository = matchesEventPattern(codeCommitTagCreatedPattern(['payments-api']), {
      ...loadEvent('codecommit-tag-created.json'),
    });

    // Assess
    expect({ tag, branch, otherRepository }).toEqual({ tag: true, branch: false, otherRepository: false });
  });
});

describe('normalizeCodeCommitTag', () => {
  it('when CodeCommit created a release tag, it returns the pipeline detail with the caller as creator', () => {
    // Prepare
    const event = loadEvent('codecommit-tag-created.json');

    // Act
    const result = normalizeCodeCommitTag(event);

    // Assess
    expect(result).toEqual({
      ok: true,
      detail: {
        repository: 'orders-api',
        tag: 'v1.4.0',
        commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        createdBy: 'arn:aws:sts::123456789012:assumed-role/release-engineer/jane',
        origin: 'codecommit',
      },
    });
  });

  it('when a branch was updated, it says it is not a reference creation', () => {
    // Act
    const result = normalizeCodeCommitTag(loadEvent('codecommit-branch-updated.json'));

    // Assess
    expect(result).toEqual({ ok: false, reason: 'CodeCommit referenceUpdated is not a reference creation' });
  });

  it('when a branch was created, it says it is not a tag', () => {
    // Prepare
    const event = loadEvent('codecommit-tag-created.json');
    event.detail = { ...event.detail, referenceType: 'branch', referenceName: 'feature/x' };

    // Act
    const result = normalizeCodeCommitTag(event);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'CodeCommit created a branch, not a tag' });
  });

  it('when the tag is not vX.Y.Z, it says it is not a release tag', () => {
    // Prepare
    const event = loadEvent('codecommit-tag-created.json');
    event.detail = { ...event.detail, referenceName: 'nightly' };

    // Act
    const result = normalizeCodeCommitTag(event);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'tag nightly is not a release tag vX.Y.Z' });
  });

  it('when the commit id is missing, it names the field', () => {
    // Prepare
    const event = loadEvent('codecommit-tag-created.json');
    delete event.detail.commitId;

    // Act
    const result = normalizeCodeCommitTag(event);

    // Assess
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^not a valid tag creation: commit: /),
    });
  });

  it('when the caller ARN is absent (as in the CodeCommit guide example), it leaves createdBy out', () => {
    // Prepare
    const event = loadEvent('codecommit-tag-created.json');
    delete event.detail.callerUserArn;

    // Act
    const result = normalizeCodeCommitTag(event);

    // Assess
    expect(result.ok).toBe(true);
    expect(Object.keys(result.ok ? result.detail : {})).toEqual(['repository', 'tag', 'commit', 'origin']);
  });

  it.each([
    ['an ECR event', () => loadEvent('ecr-push-orders-api.json')],
    ['null', () => null],
    ['a string', () => 'referenceCreated'],
  ])('when given %s, it says it is not a CodeCommit event', (_what, event) => {
    // Act
    const result = normalizeCodeCommitTag(event());

    // Assess
    expect(result).toEqual({ ok: false, reason: 'not a CodeCommit Repository State Change event' });
  });
});
