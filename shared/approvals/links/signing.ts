import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DecisionKind } from '../approval';

/**
 * Signed approval links. An approver's email carries one link per action:
 *
 *     <baseUrl>/approvals/<approvalId>?approver=<email>&action=approve|reject&expires=<epoch s>&sig=<base64url>
 *
 * `sig` is HMAC-SHA256, under the pipeline's link-signing key, of the approval id, the approver (lowercased),
 * the action and the expiry: changing any of them, or the signature, makes the link invalid. The confirmation
 * page adds a form token (HMAC of the same fields under a different label) that a POST must send back with
 * the link: see `docs/approvals.md`.
 *
 * Verification tells its caller why a link failed (malformed, bad-signature, expired) for the audit log; the
 * pages only ever say "invalid link" or "expired link". A link is reported expired only when its signature
 * is good, so nobody learns anything from editing `expires`.
 */

/** Where the link-signing keys come from (AWS: a Secrets Manager secret; tests and local: {@link StaticSigningKeySource}). */
export interface SigningKeySource {
  /** The current key: signs new links and form tokens, and verifies. */
  get(): Promise<Buffer>;
  /** The key before the last rotation, if any: still verifies links mailed before the rotation. */
  previous?(): Promise<Buffer | undefined>;
}

/** Keys shorter than this are refused: HMAC-SHA256 wants at least its output size. */
export const MIN_KEY_BYTES = 32;

/** A link's fields as signed. */
export interface LinkFields {
  approvalId: string;
  /** As the approver list spells it; compared and signed lowercased. */
  approver: string;
  action: DecisionKind;
  /** Epoch seconds after which the link no longer works. */
  expires: number;
}

/** A link's fields as they arrived: anything, possibly missing. */
export interface LinkParams {
  approvalId?: string | undefined;
  approver?: string | undefined;
  action?: string | undefined;
  expires?: string | undefined;
  sig?: string | undefined;
}

export type LinkFailureReason = 'malformed' | 'bad-signature' | 'expired';

export type LinkVerification =
  | { ok: true; link: LinkFields; key: 'current' | 'previous' }
  | {
      ok: false;
      reason: LinkFailureReason;
      /** The approval id when it had the shape of one (for the audit trail); never trust it further. */
      approvalId?: string;
      /** The verified fields, for `expired` only (the signature was good). */
      link?: LinkFields;
    };

/** Approval ids are 22 letters and digits (older ones base64url, which may hold `-` and `_`); tests use `approval-1`. */
const APPROVAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An email as configured: no spaces or control characters, one `@`, bounded (RFC 5321 allows 320). */
const APPROVER = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]{1,255}$/u;
const MAX_APPROVER_CHARS = 320;
const EXPIRES = /^[0-9]{1,12}$/;
/** 32 bytes, base64url without padding. */
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const SIGNATURE_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;
const MAC_BYTES = 32;

export function isApprovalId(value: unknown): value is string {
  return typeof value === 'string' && APPROVAL_ID.test(value);
}

export function isApproverEmail(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_APPROVER_CHARS && APPROVER.test(value);
}

/** Epoch seconds a link expires at, from an approval's `expiresAt` (epoch ms): never later than the approval. */
export function linkExpiry(expiresAtMs: number): number {
  return Math.floor(expiresAtMs / 1000);
}

/** The signature of a link's fields under `key` (base64url, 43 characters). */
export function linkSignature(fields: LinkFields, key: Buffer): string {
  return mac(key, 'approval-link/v1', fields).toString('base64url');
}

/** The form token the confirmation page embeds; a POST must send it back with the signed link. */
export function formToken(fields: LinkFields, key: Buffer): string {
  return mac(key, 'approval-form/v1', fields).toString('base64url');
}

/** The link's query string (without `?`), signed with the current key. */
export async function signLinkQuery(fields: LinkFields, keys: SigningKeySource): Promise<string> {
  checkFields(fields);
  const key = usableKey(await keys.get());
  return new URLSearchParams({
    approver: fields.approver,
    action: fields.action,
    expires: String(fields.expires),
    sig: linkSignature(fields, key),
  }).toString();
}

/** The full link an email carries: `<baseUrl>/approvals/<approvalId>?approver=…&action=…&expires=…&sig=…`. */
export async function signLink(baseUrl: string, fields: LinkFields, keys: SigningKeySource): Promise<string> {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/approvals/${fields.approvalId}?${await signLinkQuery(fields, keys)}`;
}

/**
 * Checks a link: its shape, then its signature under the current key and else the previous one (in constant
 * time, on equal-length buffers), then its expiry against `nowMs`. Rejects only when a key cannot be read.
 */
export async function verifyLink(
  params: LinkParams,
  keys: SigningKeySource,
  nowMs: number,
): Promise<LinkVerification> {
  const approvalId = isApprovalId(params.approvalId) ? params.approvalId : undefined;
  const fields = parseFields(params);
  const sig = decodeMac(params.sig);
  if (!fields || sig === 'malformed')
    return { ok: false, reason: 'malformed', ...(approvalId && { approvalId }) };

  const key = await matchingKey(keys, (k) => mac(k, 'approval-link/v1', fields), sig);
  if (!key) return { ok: false, reason: 'bad-signature', approvalId: fields.approvalId };
  if (nowMs >= fields.expires * 1000)
    return { ok: false, reason: 'expired', approvalId: fields.approvalId, link: fields };
  return { ok: true, link: fields, key };
}

/** Checks a form token for `fields` (already verified) against the current and the previous key. */
export async function verifyFormToken(
  fields: LinkFields,
  token: string | undefined,
  keys: SigningKeySource,
): Promise<boolean> {
  const given = decodeMac(token);
  if (given === 'malformed') return false;
  return (await matchingKey(keys, (k) => mac(k, 'approval-form/v1', fields), given)) !== undefined;
}

/** A source that always answers the same keys: tests, the local runtime, and the base of the AWS adapter. */
export class StaticSigningKeySource implements SigningKeySource {
  private readonly current: Buffer;
  private readonly before: Buffer | undefined;

  constructor(current: Buffer | string, previous?: Buffer | string) {
    this.current = usableKey(Buffer.from(current));
    this.before = previous === undefined ? undefined : usableKey(Buffer.from(previous));
  }

  async get(): Promise<Buffer> {
    return this.current;
  }

  async previous(): Promise<Buffer | undefined> {
    return this.before;
  }
}

// -------------------------------------------------------------------------------------------- internals

async function matchingKey(
  keys: SigningKeySource,
  expected: (key: Buffer) => Buffer,
  given: Buffer,
): Promise<'current' | 'previous' | undefined> {
  if (sameMac(expected(usableKey(await keys.get())), given)) return 'current';
  const previous = keys.previous ? await keys.previous() : undefined;
  if (previous && sameMac(expected(usableKey(previous)), given)) return 'previous';
  return undefined;
}

function sameMac(expected: Buffer, given: Buffer): boolean {
  // timingSafeEqual throws on different lengths; decodeMac only lets 32-byte values through, but say so here.
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Decodes a base64url MAC. Only the canonical 43-character encoding of 32 bytes is accepted (Node's decoder
 * ignores stray characters and the last character's spare bits), so one MAC has exactly one spelling.
 */
function decodeMac(value: string | undefined): Buffer | 'malformed' {
  if (value === undefined || !SIGNATURE_SHAPE.test(value)) return 'malformed';
  if (!SIGNATURE.test(value)) return Buffer.alloc(0); // well formed but not 32 bytes: a wrong signature
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== MAC_BYTES || bytes.toString('base64url') !== value) return Buffer.alloc(0);
  return bytes;
}

function mac(key: Buffer, label: string, fields: LinkFields): Buffer {
  // A JSON array is unambiguous whatever the fields contain: no separator can be smuggled into one.
  const message = JSON.stringify([
    label,
    fields.approvalId,
    fields.approver.trim().toLowerCase(),
    fields.action,
    fields.expires,
  ]);
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

function parseFields(params: LinkParams): LinkFields | undefined {
  const { approvalId, approver, action, expires } = params;
  if (!isApprovalId(approvalId) || !isApproverEmail(approver)) return undefined;
  if (action !== 'approve' && action !== 'reject') return undefined;
  if (expires === undefined || !EXPIRES.test(expires)) return undefined;
  return { approvalId, approver, action, expires: Number(expires) };
}

function checkFields(fields: LinkFields): void {
  if (!isApprovalId(fields.approvalId)) throw new RangeError('not an approval id');
  if (!isApproverEmail(fields.approver)) throw new RangeError('not an approver email');
  if (fields.action !== 'approve' && fields.action !== 'reject') throw new RangeError('not an action');
  if (!Number.isInteger(fields.expires) || fields.expires < 0 || !EXPIRES.test(String(fields.expires)))
    throw new RangeError('expires must be whole epoch seconds');
}

function usableKey(key: Buffer): Buffer {
  if (key.length < MIN_KEY_BYTES)
    throw new RangeError(`a link-signing key must have at least ${MIN_KEY_BYTES} bytes`);
  return key;
}
