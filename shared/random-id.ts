import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The largest multiple of 62 below 256: bytes at or above it are drawn again, so every letter is as likely. */
const UNBIASED_BELOW = 248;

/**
 * A random id of `length` letters and digits (about 5.95 bits each: 22 characters carry 130 bits). Only
 * letters and digits, so that an id is safe to paste anywhere: a shell or CLI never reads it as an option
 * (base64url ids start with `-` one time in 64), a double click selects all of it, and a URL, a file name or
 * an `openssl -hmac` argument needs no escaping.
 */
export function randomId(length: number): string {
  let id = '';
  while (id.length < length) {
    for (const byte of randomBytes(length - id.length + 8)) {
      if (byte >= UNBIASED_BELOW) continue;
      id += ALPHABET[byte % ALPHABET.length];
      if (id.length === length) break;
    }
  }
  return id;
}
