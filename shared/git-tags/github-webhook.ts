import { createHmac, timingSafeEqual } from 'node:crypto';
import { tooDeep } from '../events/json-depth';
import {
  cleanCreatedBy,
  isReleaseTag,
  printable,
  validDetail,
  type TagCreatedDetail,
} from './tag-created.schema';

/**
 * Reads a GitHub webhook delivery: checks its size and signature, then turns a tag push into the pipeline's
 * tag detail. Pure: no I/O, no clock, never throws. Nothing it returns contains the secret or the signature.
 *
 * Order of the checks: size (before anything is hashed), signature (before anything is parsed, so an unsigned
 * caller learns nothing but 401/413), content type, event name, JSON, then the event itself.
 */

/** GitHub caps payloads at 25 MB; a tag push is a few KiB, so anything over 1 MiB is refused unread. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const SIGNATURE_HEADER = 'x-hub-signature-256';
const SHA1_SIGNATURE_HEADER = 'x-hub-signature';
const EVENT_HEADER = 'x-github-event';
const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const COMMIT = /^[0-9a-f]{40}$/;
const ZERO_COMMIT = /^0{40}$/;

export interface WebhookRequest {
  /** Header names in any case. */
  headers: Record<string, string | undefined>;
  body: string;
  isBase64Encoded?: boolean;
}

export type RejectedStatus = 400 | 401 | 413 | 415;

export type WebhookResult =
  | { kind: 'tag'; detail: TagCreatedDetail }
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; status: RejectedStatus; reason: string };

export type Rejection = Extract<WebhookResult, { kind: 'rejected' }>;

const reject = (status: RejectedStatus, reason: string): Rejection => ({ kind: 'rejected', status, reason });
const ignore = (reason: string): WebhookResult => ({ kind: 'ignored', reason });

/** The value of a header, whatever the case of its name; the first non-empty one wins. */
export function headerOf(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === wanted && typeof value === 'string' && value !== '') return value;
  return undefined;
}

/**
 * The checks that need no secret: size and the presence and form of the signature header. A handler runs
 * them before it fetches the secret, so oversized or unsigned requests cost nothing more.
 */
export function preflight(request: WebhookRequest): Rejection | undefined {
  const body = typeof request.body === 'string' ? request.body : '';
  // Both lengths are computed without decoding: nothing big is copied or hashed before this check.
  const bytes = request.isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_BODY_BYTES)
    return reject(
      413,
      `the body is ${bytes} bytes; the limit is ${MAX_BODY_BYTES} (${MAX_BODY_BYTES / 1024} KiB)`,
    );

  const signature = headerOf(request.headers, SIGNATURE_HEADER);
  if (signature === undefined)
    return reject(
      401,
      headerOf(request.headers, SHA1_SIGNATURE_HEADER) !== undefined
        ? 'X-Hub-Signature-256 is missing; the SHA-1 X-Hub-Signature alone is not accepted'
        : 'X-Hub-Signature-256 is missing: give the webhook a secret',
    );
  if (!SIGNATURE.test(signature.trim()))
    return reject(401, 'X-Hub-Signature-256 is not of the form sha256=<64 hexadecimal digits>');
  return undefined;
}

/** Verifies and reads one delivery; `secret` is the webhook's secret. */
export function readGitHubWebhook(request: WebhookRequest, secret: string): WebhookResult {
  const early = preflight(request);
  if (early) return early;

  // 1. Signature: HMAC-SHA256 of the raw body, compared in constant time on two 32-byte digests.
  const raw = rawBody(request);
  const signature = (headerOf(request.headers, SIGNATURE_HEADER) ?? '').trim();
  if (!signatureMatches(raw, signature, secret))
    return reject(401, 'X-Hub-Signature-256 does not match the body (check the webhook secret)');

  // 2. Only JSON deliveries: GitHub's form encoding wraps the payload in a `payload=` field.
  const contentType = headerOf(request.headers, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    return reject(415, 'the content type must be application/json: set it in the webhook settings');

  // 3. The event name travels in a header, outside the signed body.
  const eventName = headerOf(request.headers, EVENT_HEADER)?.trim();
  if (eventName === undefined || eventName === '') return reject(400, 'the X-GitHub-Event header is missing');

  // 4. The payload.
  const deep = tooDeep(raw.toString('latin1'), 'the body');
  if (deep) return reject(400, deep);
  const payload = parseJson(raw);
  if (payload === undefined) return reject(400, 'the body is not a JSON object');

  switch (eventName) {
    case 'ping':
      return { kind: 'ping' };
    case 'push':
      return readPush(payload);
    case 'create':
      return ignore(
        'create events carry no commit id and are not used: tag creations arrive as push events (subscribe to "push")',
      );
    default:
      return ignore(`${printable(eventName)} events are not used: only push (tag creations) and ping are`);
  }
}

function rawBody(request: WebhookRequest): Buffer {
  const body = typeof request.body === 'string' ? request.body : '';
  return request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function signatureMatches(raw: Buffer, header: string, secret: string): boolean {
  // Without a secret anybody could sign: an empty secret accepts nothing.
  if (typeof secret !== 'string' || secret.length === 0) return false;
  const match = SIGNATURE.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function parseJson(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A push of `refs/tags/<tag>` that created the ref is a tag creation. The commit is `head_commit.id`, the
 * commit the tag points to (GitHub sets it on every tag creation); `after` is the fallback, which for an
 * annotated tag is the tag object rather than the commit.
 */
function readPush(payload: Record<string, unknown>): WebhookResult {
  const ref = payload.ref;
  if (typeof ref !== 'string' || ref === '') return reject(400, 'the push payload has no ref');
  if (ref.startsWith('refs/heads/'))
    return ignore(`push to branch ${printable(ref.slice('refs/heads/'.length))} is not a tag creation`);
  if (!ref.startsWith('refs/tags/')) return ignore(`push to ${printable(ref)} is not a tag creation`);

  const tag = ref.slice('refs/tags/'.length);
  const after = typeof payload.after === 'string' ? payload.after : undefined;
  if (payload.deleted === true || (after !== undefined && ZERO_COMMIT.test(after)))
    return ignore(`tag ${printable(tag)} was deleted`);
  if (payload.created !== true)
    return ignore(`tag ${printable(tag)} existed already (moved by a force push): only new tags release`);
  if (!isReleaseTag(tag)) return ignore(`tag ${printable(tag)} is not a release tag vX.Y.Z`);

  const headCommit = objectOf(payload.head_commit)?.id;
  const commit = typeof headCommit === 'string' && COMMIT.test(headCommit) ? headCommit : after;
  // The commit's own time, for the release's lead time, when the payload has the commit itself.
  const commitAt = headCommit === commit ? objectOf(payload.head_commit)?.timestamp : undefined;
  if (commit === undefined) return reject(400, 'the push payload has no after commit');

  const result = validDetail({
    repository: objectOf(payload.repository)?.full_name,
    tag,
    commit,
    createdBy:
      cleanCreatedBy(objectOf(payload.pusher)?.name) ?? cleanCreatedBy(objectOf(payload.sender)?.login),
    origin: 'github',
    ...(typeof commitAt === 'string' && { commitAt }),
  });
  return result.ok ? { kind: 'tag', detail: result.detail } : reject(400, result.reason);
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
