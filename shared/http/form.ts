import { headerOf, type HttpRequest } from './request';

/** How large a form may be, and which fields are read. */
export interface FormLimits<F extends string> {
  /** The fields returned; each may appear at most once. */
  fields: readonly F[];
  /** Decoded bodies larger than this (UTF-8 bytes) are refused before parsing. */
  maxBytes: number;
  /** Forms with more fields than this (any names) are malformed. */
  maxFields: number;
}

/** A form post's fields, or why there is none. */
export type FormRead<F extends string> =
  | { ok: true; fields: Record<F, string | undefined> }
  | { ok: false; problem: 'unsupported-media-type' | 'too-large' | 'malformed' };

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * Reads an `application/x-www-form-urlencoded` body (base64 or not) within `limits`: refusals come in the
 * order a client can fix them (send a form, make it smaller, send each field once), and nothing is decoded
 * before the size is known to be bounded.
 */
export function readForm<F extends string>(request: HttpRequest, limits: FormLimits<F>): FormRead<F> {
  const type = headerOf(request, 'content-type');
  if (type === undefined || !FORM_TYPE.test(type.trim()))
    return { ok: false, problem: 'unsupported-media-type' };
  const raw = typeof request.body === 'string' ? request.body : '';
  // Base64 is 4/3 of its content: a body twice the limit is too large whatever its encoding.
  if (raw.length > limits.maxBytes * 2) return { ok: false, problem: 'too-large' };
  const text = request.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) return { ok: false, problem: 'too-large' };
  const form = new URLSearchParams(text);
  if ([...form.keys()].length > limits.maxFields) return { ok: false, problem: 'malformed' };
  const fields = {} as Record<F, string | undefined>;
  for (const name of limits.fields) {
    const all = form.getAll(name);
    if (all.length > 1) return { ok: false, problem: 'malformed' };
    fields[name] = all[0];
  }
  return { ok: true, fields };
}
