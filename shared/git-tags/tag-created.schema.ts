import * as z from 'zod';
import { parseVersionTag } from '../domain/version';
import { eventEnvelopeSchema } from '../events/event-envelope.schema';
import { lazySchema } from '../domain/lazy-schema';

/**
 * The one internal event every tag source is normalised to: the GitHub webhook, CodeCommit, or any CI that
 * sends it itself with `aws events put-events` to the pipeline's event bus. Consumers read this detail and
 * never a source's own payload.
 */
export const TAG_EVENT_SOURCE = 'ecs-promotion-pipeline.git';
export const TAG_EVENT_DETAIL_TYPE = 'Git Tag Created';

export const TAG_ORIGINS = ['github', 'codecommit', 'custom'] as const;
export type TagOrigin = (typeof TAG_ORIGINS)[number];

/** Git's own limit on a ref name is the file system's; 255 keeps a tag within EventBridge and log limits. */
export const MAX_TAG_LENGTH = 255;
export const MAX_CREATED_BY_LENGTH = 256;

/** A tag that releases: `vMAJOR.MINOR.PATCH`, or a pre-release of one (staging only); see shared/domain/version.ts. */
export function isReleaseTag(tag: string): boolean {
  return parseVersionTag(tag) !== undefined;
}

/** A full 40-character SHA-1 commit id, lowercase as git prints it. */
const COMMIT = /^[0-9a-f]{40}$/;

/**
 * `owner/name` (GitHub: owner up to 39 letters, digits and dashes; name up to 100 letters, digits, `.`,
 * `_`, `-`) or a CodeCommit repository name (the same characters, up to 100).
 */
const REPOSITORY = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/)?[A-Za-z0-9._-]{1,100}$/;

/**
 * Why `name` is not a valid tag name under `git check-ref-format` (for the part after `refs/tags/`), or
 * undefined when it is. The rules exist because such names break git itself or the shells that print them.
 */
export function gitRefProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name === '@') return 'must not be the single character "@"';
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name))
    return 'must not contain spaces, control characters or any of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.includes('@{')) return 'must not contain "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'must not start or end with "/" or contain "//"';
  if (name.endsWith('.')) return 'must not end with "."';
  const components = name.split('/');
  if (components.some((c) => c.startsWith('.'))) return 'no part between slashes may start with "."';
  if (components.some((c) => c.endsWith('.lock'))) return 'no part between slashes may end with ".lock"';
  return undefined;
}

const tag = lazySchema(() =>
  z
    .string()
    .max(MAX_TAG_LENGTH, `tag must be at most ${MAX_TAG_LENGTH} characters`)
    .superRefine((value, ctx) => {
      const problem = gitRefProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `tag ${problem}` });
    }),
);

/** The detail of a `Git Tag Created` event. Unknown fields are dropped, so a CI may send more than this. */
export const tagCreatedDetailSchema = lazySchema(() =>
  z.object({
    repository: z
      .string()
      .regex(REPOSITORY, 'repository must be owner/name (GitHub) or a CodeCommit repository name'),
    tag,
    commit: z.string().regex(COMMIT, 'commit must be the full 40-character lowercase hexadecimal commit id'),
    createdBy: z
      .string()
      .min(1)
      .max(MAX_CREATED_BY_LENGTH)
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'createdBy must not contain control characters')
      .optional(),
    allowDowngrade: z.boolean().optional(),
    /** Deploy (with approvals and bakes) even where the tagged commit's image already runs. */
    redeploy: z.boolean().optional(),
    origin: z.enum(TAG_ORIGINS),
    /**
     * When the tagged commit was made (ISO 8601), if the source says: where the release's lead time starts
     * (docs/metrics.md). An unreadable one is dropped, never a reason to refuse the tag.
     */
    commitAt: z.iso.datetime({ offset: true }).optional().catch(undefined),
  }),
);
export type TagCreatedDetail = z.infer<typeof tagCreatedDetailSchema>;

/** The whole EventBridge event as a rule on the pipeline bus delivers it. */
export const tagCreatedEventSchema = lazySchema(() =>
  eventEnvelopeSchema.extend({
    source: z.literal(TAG_EVENT_SOURCE),
    'detail-type': z.literal(TAG_EVENT_DETAIL_TYPE),
    detail: tagCreatedDetailSchema,
  }),
);
export type TagCreatedEvent = z.infer<typeof tagCreatedEventSchema>;

/** The pattern of a rule on the pipeline's event bus that delivers `Git Tag Created` events. */
export function tagCreatedPattern(): Record<string, unknown> {
  return { source: [TAG_EVENT_SOURCE], 'detail-type': [TAG_EVENT_DETAIL_TYPE] };
}

/**
 * Stands for "no repository" in the CodeCommit rule: a name CodeCommit cannot give a repository (spaces and
 * angle brackets), since an EventBridge pattern cannot list nothing.
 */
export const NO_CODECOMMIT_REPOSITORY = '<no CodeCommit repository in pipeline.config.yml>';

/**
 * The pattern of a rule on the default bus for tag creations in the given CodeCommit repositories, to feed
 * `normalizeCodeCommitTag`. Without repositories it matches none: a rule without the repository names
 * would start on every tag created in every repository of the account.
 */
export function codeCommitTagCreatedPattern(repositories: string[]): Record<string, unknown> {
  return {
    source: ['aws.codecommit'],
    'detail-type': ['CodeCommit Repository State Change'],
    detail: {
      event: ['referenceCreated'],
      referenceType: ['tag'],
      repositoryName: repositories.length > 0 ? repositories : [NO_CODECOMMIT_REPOSITORY],
    },
  };
}

// ------------------------------------------------------------------------------------------------ CodeCommit

export type NormalizedTag = { ok: true; detail: TagCreatedDetail } | { ok: false; reason: string };

const codeCommitEventSchema = lazySchema(() =>
  z.object({
    source: z.literal('aws.codecommit'),
    'detail-type': z.literal('CodeCommit Repository State Change'),
    detail: z.object({
      event: z.string(),
      referenceType: z.string().optional(),
      referenceName: z.string().optional(),
      commitId: z.string().optional(),
      repositoryName: z.string().optional(),
      callerUserArn: z.string().optional(),
    }),
  }),
);

/**
 * Turns a CodeCommit `Repository State Change` event into the pipeline's tag detail, or says why it is not a
 * release tag creation (a branch, an update or deletion, another tag). Never throws: the caller logs the
 * reason and moves on.
 */
export function normalizeCodeCommitTag(event: unknown): NormalizedTag {
  const parsed = codeCommitEventSchema.safeParse(event);
  if (!parsed.success) return { ok: false, reason: 'not a CodeCommit Repository State Change event' };
  const detail = parsed.data.detail;
  if (detail.event !== 'referenceCreated')
    return { ok: false, reason: `CodeCommit ${printable(detail.event)} is not a reference creation` };
  if (detail.referenceType !== 'tag')
    return {
      ok: false,
      reason: `CodeCommit created a ${printable(detail.referenceType ?? 'reference')}, not a tag`,
    };
  const tagName = detail.referenceName ?? '';
  if (!isReleaseTag(tagName))
    return { ok: false, reason: `tag ${printable(tagName)} is not a release tag vX.Y.Z` };
  return validDetail({
    repository: detail.repositoryName,
    tag: tagName,
    commit: detail.commitId,
    createdBy: cleanCreatedBy(detail.callerUserArn),
    origin: 'codecommit',
  });
}

/** Validates a normalised detail, with a one-line reason naming each bad field when it is not valid. */
export function validDetail(candidate: Record<string, unknown>): NormalizedTag {
  // Absent optional fields stay absent rather than becoming `"createdBy": undefined` keys.
  const defined = Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
  const result = tagCreatedDetailSchema.safeParse(defined);
  if (result.success) return { ok: true, detail: result.data };
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(detail)'}: ${i.message}`);
  return { ok: false, reason: `not a valid tag creation: ${problems.join('; ')}` };
}

/** Who created the tag, single-line and within the length limit; undefined when nothing printable is left. */
export function cleanCreatedBy(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned.length === 0 ? undefined : cleaned.slice(0, MAX_CREATED_BY_LENGTH);
}

/**
 * A value from a payload as it may appear in a reason: names made of the characters refs and repositories
 * use pass through, anything else (markup, huge strings, control characters) does not.
 */
export function printable(value: string): string {
  return /^[A-Za-z0-9._\-/@+]{1,120}$/.test(value) ? value : '(unprintable value)';
}
