import { createHmac } from 'node:crypto';
import {
  formToken,
  isApprovalId,
  isApproverEmail,
  linkExpiry,
  linkSignature,
  signLink,
  StaticSigningKeySource,
  verifyFormToken,
  verifyLink,
  type LinkFields,
  type LinkParams,
  type SigningKeySource,
} from '../../../../shared/approvals/links/signing';
import { SecretSigningKeySource } from '../../../../shared/approvals/links/secret-signing-keys';
import { PipelineMisconfiguredError } from '../../../../shared/domain/errors';
import { rejectionOf } from '../../../support/fakes';
import { BASE_URL, KEY, OLD_KEY, OTHER_KEY, START } from './approval-page-requests';

const FIELDS: LinkFields = {
  approvalId: 'Zk3v0Qm1b9yT4xq2LwP8sA',
  approver: 'Alice@Example.com',
  action: 'approve',
  expires: linkExpiry(START + 24 * 3600_000),
};
const NOW = START + 3600_000;

/** The link's parameters as the handler reads them back from a URL. */
function paramsOf(link: string): LinkParams {
  const url = new URL(link);
  const q = url.searchParams;
  return {
    approvalId: decodeURIComponent(url.pathname.split('/').pop() ?? ''),
    approver: q.get('approver') ?? undefined,
    action: q.get('action') ?? undefined,
    expires: q.get('expires') ?? undefined,
    sig: q.get('sig') ?? undefined,
  };
}

describe('signed approval links', () => {
  const keys = new StaticSigningKeySource(KEY);
  let link: string;
  let params: LinkParams;

  beforeEach(async () => {
    link = await signLink(`${BASE_URL}/`, FIELDS, keys);
    params = paramsOf(link);
  });

  it('when a link is signed, it has the documented shape with a 43-character base64url signature', () => {
    // Prepare: the link from beforeEach

    // Act
    const url = new URL(link);

    // Assess
    expect(`${url.origin}${url.pathname}`).toBe(`${BASE_URL}/approvals/${FIELDS.approvalId}`);
    expect([...url.searchParams.keys()]).toEqual(['approver', 'action', 'expires', 'sig']);
    expect(url.searchParams.get('approver')).toBe('Alice@Example.com');
    expect(url.searchParams.get('expires')).toBe(String(FIELDS.expires));
    expect(url.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('when a valid link is verified before it expires, it returns its fields and the current key', async () => {
    // Prepare: the link from beforeEach

    // Act
    const result = await verifyLink(params, keys, NOW);

    // Assess
    expect(result).toEqual({ ok: true, link: FIELDS, key: 'current' });
  });

  it('when the approver differs only in case, it still verifies (the approver is signed lowercased)', async () => {
    // Prepare
    const lower = { ...params, approver: 'alice@example.com' };

    // Act
    const result = await verifyLink(lower, keys, NOW);

    // Assess
    expect(result.ok).toBe(true);
  });

  it.each([
    ['another approval id', { approvalId: 'Zk3v0Qm1b9yT4xq2LwP8sB' }],
    ['another approver', { approver: 'bob@example.com' }],
    ['the action swapped', { action: 'reject' }],
    ['a later expiry', { expires: String(FIELDS.expires + 3600) }],
    ['an earlier expiry', { expires: String(FIELDS.expires - 1) }],
  ])('when a signed link has %s, it is refused as bad-signature', async (_name, change) => {
    // Prepare
    const tampered = { ...params, ...change };

    // Act
    const result = await verifyLink(tampered, keys, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('when one character of the signature is changed, it is refused as bad-signature', async () => {
    // Prepare
    const sig = params.sig as string;
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;

    // Act
    const result = await verifyLink({ ...params, sig: flipped }, keys, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature', approvalId: FIELDS.approvalId });
  });

  it.each([
    ['truncated by one character', (s: string) => s.slice(0, -1)],
    ['truncated to half', (s: string) => s.slice(0, 21)],
    ['extended by one character', (s: string) => `${s}A`],
    ['extended by a second signature', (s: string) => `${s}${s}`],
    ['re-spelled with the last character spare bits set', (s: string) => `${s.slice(0, -1)}${spare(s)}`],
  ])('when the signature is %s, it is refused and never throws', async (_name, mutate) => {
    // Prepare
    const sig = mutate(params.sig as string);

    // Act
    const result = await verifyLink({ ...params, sig }, keys, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each<[string, Partial<LinkParams>]>([
    ['no signature', { sig: undefined }],
    ['a signature with non-base64url characters', { sig: 'abc+/=' }],
    ['an empty signature', { sig: '' }],
    ['no approver', { approver: undefined }],
    ['an approver that is not an email', { approver: '<script>alert(1)</script>' }],
    ['an unknown action', { action: 'delete' }],
    ['a non-numeric expiry', { expires: '1e12' }],
    ['a negative expiry', { expires: '-1' }],
    ['an approval id with a slash', { approvalId: '../admin' }],
  ])('when the link has %s, it is refused as malformed', async (_name, change) => {
    // Prepare
    const broken = { ...params, ...change };

    // Act
    const result = await verifyLink(broken, keys, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('when a valid link is used at or after its expiry, it is refused as expired with its verified fields', async () => {
    // Prepare
    const atExpiry = FIELDS.expires * 1000;

    // Act
    const result = await verifyLink(params, keys, atExpiry);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'expired', approvalId: FIELDS.approvalId, link: FIELDS });
  });

  it('when an expired link has a bad signature too, it says bad-signature, not expired', async () => {
    // Prepare
    const tampered = { ...params, action: 'reject' };

    // Act
    const result = await verifyLink(tampered, keys, FIELDS.expires * 1000 + 1);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(result).not.toHaveProperty('link');
  });

  it('when a link signed with another key is verified, it is refused as bad-signature', async () => {
    // Prepare
    const foreign = paramsOf(await signLink(BASE_URL, FIELDS, new StaticSigningKeySource(OTHER_KEY)));

    // Act
    const result = await verifyLink(foreign, keys, NOW);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  describe('key rotation', () => {
    it('when the key was rotated, a link signed with the previous key still verifies', async () => {
      // Prepare
      const before = paramsOf(await signLink(BASE_URL, FIELDS, new StaticSigningKeySource(OLD_KEY)));
      const rotated = new StaticSigningKeySource(KEY, OLD_KEY);

      // Act
      const result = await verifyLink(before, rotated, NOW);

      // Assess
      expect(result).toEqual({ ok: true, link: FIELDS, key: 'previous' });
    });

    it('when the previous key was retired, a link signed with it no longer verifies', async () => {
      // Prepare
      const before = paramsOf(await signLink(BASE_URL, FIELDS, new StaticSigningKeySource(OLD_KEY)));

      // Act
      const result = await verifyLink(before, keys, NOW);

      // Assess
      expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
    });

    it('when the key was rotated, new links are signed with the new key', async () => {
      // Prepare
      const rotated = new StaticSigningKeySource(KEY, OLD_KEY);

      // Act
      const fresh = paramsOf(await signLink(BASE_URL, FIELDS, rotated));

      // Assess
      expect(await verifyLink(fresh, keys, NOW)).toMatchObject({ ok: true, key: 'current' });
    });
  });

  describe('form tokens', () => {
    it('when the form token of the same fields comes back, it verifies; under any other field it does not', async () => {
      // Prepare
      const token = formToken(FIELDS, KEY);

      // Act
      const same = await verifyFormToken(FIELDS, token, keys);
      const swapped = await verifyFormToken({ ...FIELDS, action: 'reject' }, token, keys);
      const other = await verifyFormToken({ ...FIELDS, approver: 'bob@example.com' }, token, keys);

      // Assess
      expect([same, swapped, other]).toEqual([true, false, false]);
    });

    it('when the link signature is sent as the form token, it is refused (different label)', async () => {
      // Prepare
      const sig = params.sig as string;

      // Act
      const result = await verifyFormToken(FIELDS, sig, keys);

      // Assess
      expect(sig).not.toBe(formToken(FIELDS, KEY));
      expect(result).toBe(false);
    });

    it('when a form token is missing, cut or made by the previous key after rotation, it answers accordingly', async () => {
      // Prepare
      const rotated = new StaticSigningKeySource(KEY, OLD_KEY);
      const old = formToken(FIELDS, OLD_KEY);

      // Act
      const results = await Promise.all([
        verifyFormToken(FIELDS, undefined, keys),
        verifyFormToken(FIELDS, old.slice(0, 20), rotated),
        verifyFormToken(FIELDS, old, rotated),
        verifyFormToken(FIELDS, old, keys),
      ]);

      // Assess
      expect(results).toEqual([false, false, true, false]);
    });
  });

  it('when a key is shorter than 32 bytes, it is refused', () => {
    // Prepare
    const short = Buffer.alloc(31, 1);

    // Act
    const make = () => new StaticSigningKeySource(short);

    // Assess
    expect(make).toThrow(/at least 32 bytes/);
  });
});

describe('signing rules, one case a row (mutation-tested)', () => {
  const keys = new StaticSigningKeySource(KEY);

  it.each<[string, string, boolean]>([
    ['a local part of 64 characters', `${'a'.repeat(64)}@example.com`, true],
    ['a local part of 65 characters', `${'a'.repeat(65)}@example.com`, false],
    ['a domain of 255 characters', `a@${'d'.repeat(255)}`, true],
    ['a domain of 256 characters', `a@${'d'.repeat(256)}`, false],
    ['an empty local part', '@example.com', false],
    ['an empty domain', 'alice@', false],
    ['two @', 'alice@example@com', false],
    ['a space inside', 'alice smith@example.com', false],
    ['a control character inside', 'alice\u0007@example.com', false],
    ['text before an email', 'x alice@example.com', false],
    ['text after an email', 'alice@example.com x', false],
  ])('when the approver is %s, isApproverEmail says %s', (_name, value, expected) => {
    // Act
    const result = isApproverEmail(value);

    // Assess
    expect(result).toBe(expected);
  });

  it('when an approver has the longest parts the address rule allows (320 characters), it is accepted', () => {
    // Prepare: 64 + 1 + 255 characters; the 320-character bound must not cut it
    const longest = `${'a'.repeat(64)}@${'d'.repeat(255)}`;

    // Act
    const result = isApproverEmail(longest);

    // Assess
    expect(longest).toHaveLength(320);
    expect(result).toBe(true);
  });

  it.each<[string, unknown, boolean]>([
    ['22 letters and digits', 'Zk3v0Qm1b9yT4xq2LwP8sA', true],
    ['base64url with - and _', 'a-b_c', true],
    ['one character', 'a', true],
    ['64 characters', 'a'.repeat(64), true],
    ['65 characters', 'a'.repeat(65), false],
    ['empty', '', false],
    ['a dot', 'a.b', false],
    ['a trailing newline', 'abc\n', false],
    ['a leading slash', '/abc', false],
    ['a number', 42, false],
  ])('when an approval id is %s, isApprovalId says %s', (_name, value, expected) => {
    // Act
    const result = isApprovalId(value);

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    [0, 0],
    [999, 0],
    [1000, 1],
    [1999, 1],
    [1_772_442_000_500, 1_772_442_000],
  ])('when an approval expires at %i ms, its links expire at %i s', (ms, seconds) => {
    // Act
    const result = linkExpiry(ms);

    // Assess
    expect(result).toBe(seconds);
  });

  it.each([
    ['no slash', BASE_URL],
    ['one trailing slash', `${BASE_URL}/`],
    ['three trailing slashes', `${BASE_URL}///`],
  ])('when the base URL has %s, the link has exactly one slash before approvals', async (_name, base) => {
    // Act
    const link = await signLink(base, FIELDS, keys);

    // Assess
    expect(link.startsWith(`${BASE_URL}/approvals/${FIELDS.approvalId}?approver=`)).toBe(true);
  });

  it.each<[string, Partial<LinkFields>, string]>([
    ['an approval id with a slash', { approvalId: 'a/b' }, 'not an approval id'],
    ['an approver that is not an email', { approver: 'alice' }, 'not an approver email'],
    ['an unknown action', { action: 'delete' as LinkFields['action'] }, 'not an action'],
    ['a fractional expiry', { expires: 1.5 }, 'expires must be whole epoch seconds'],
    ['a negative expiry', { expires: -1 }, 'expires must be whole epoch seconds'],
    [
      'an expiry of 13 digits (milliseconds)',
      { expires: 1_772_442_000_000 },
      'expires must be whole epoch seconds',
    ],
  ])('when a link is signed with %s, it throws %s', async (_name, change, message) => {
    // Act
    const error = await rejectionOf(signLink(BASE_URL, { ...FIELDS, ...change }, keys));

    // Assess
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(message);
  });

  it.each<[string, Partial<LinkFields>]>([
    ['expiry 0', { expires: 0 }],
    ['an expiry of 12 digits', { expires: 999_999_999_999 }],
    ['the reject action', { action: 'reject' }],
  ])('when a link is signed with %s, it verifies with those fields', async (_name, change) => {
    // Prepare
    const fields = { ...FIELDS, ...change };

    // Act
    const result = await verifyLink(paramsOf(await signLink(BASE_URL, fields, keys)), keys, -1);

    // Assess
    expect(result).toEqual({ ok: true, link: fields, key: 'current' });
  });

  it.each<[string, Partial<LinkParams>]>([
    ['an expiry of 13 digits', { expires: '1772442000000' }],
    ['an expiry with a sign', { expires: '+1' }],
    ['an expiry with a trailing space', { expires: '1 ' }],
    ['no expiry', { expires: undefined }],
    ['no action', { action: undefined }],
    ['an action in capitals', { action: 'APPROVE' }],
    ['a signature of 129 characters', { sig: 'A'.repeat(129) }],
    ['a signature with a trailing newline', { sig: `${'A'.repeat(43)}\n` }],
  ])('when a link has %s, it is malformed and keeps its approval id for the audit', async (_name, change) => {
    // Prepare
    const params = { ...paramsOf(await signLink(BASE_URL, FIELDS, keys)), ...change };

    // Act
    const result = await verifyLink(params, keys, NOW);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed', approvalId: FIELDS.approvalId });
  });

  it('when a malformed link has no approval id of the right shape, the failure carries none', async () => {
    // Prepare
    const params = {
      ...paramsOf(await signLink(BASE_URL, FIELDS, keys)),
      approvalId: '../x',
      sig: undefined,
    };

    // Act
    const result = await verifyLink(params, keys, NOW);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['128 characters', 'A'.repeat(128)],
    ['44 characters', 'A'.repeat(44)],
    ['one character', 'A'],
  ])(
    'when a signature is well formed but %s long, it is a bad signature, not malformed',
    async (_name, sig) => {
      // Prepare
      const params = { ...paramsOf(await signLink(BASE_URL, FIELDS, keys)), sig };

      // Act
      const result = await verifyLink(params, keys, NOW);

      // Assess
      expect(result).toEqual({ ok: false, reason: 'bad-signature', approvalId: FIELDS.approvalId });
    },
  );

  it.each([
    ['one millisecond before the expiry', -1, true],
    ['at the expiry', 0, false],
    ['one millisecond after', 1, false],
  ])('when a link is used %s, ok is %s', async (_name, offset, ok) => {
    // Prepare
    const params = paramsOf(await signLink(BASE_URL, FIELDS, keys));

    // Act
    const result = await verifyLink(params, keys, FIELDS.expires * 1000 + offset);

    // Assess
    expect(result.ok).toBe(ok);
  });

  it('when the approver is signed with spaces around it or in other case, the MAC is that of the trimmed lowercase address', () => {
    // Prepare
    const spaced = { ...FIELDS, approver: '  ALICE@example.COM ' };

    // Act
    const pair = [linkSignature(spaced, KEY), formToken(spaced, KEY)];

    // Assess
    expect(pair).toEqual([linkSignature(FIELDS, KEY), formToken(FIELDS, KEY)]);
  });

  it('when a key source has no previous key at all, a link signed with another key is a bad signature', async () => {
    // Prepare: a source without the optional previous(), and one whose previous() answers nothing
    const onlyCurrent: SigningKeySource = { get: async () => KEY };
    const noPrevious: SigningKeySource = { get: async () => KEY, previous: async () => undefined };
    const foreign = paramsOf(await signLink(BASE_URL, FIELDS, new StaticSigningKeySource(OTHER_KEY)));

    // Act
    const results = [await verifyLink(foreign, onlyCurrent, NOW), await verifyLink(foreign, noPrevious, NOW)];

    // Assess
    expect(results.map((r) => r.ok || r.reason)).toEqual(['bad-signature', 'bad-signature']);
  });

  it.each([
    ['the current key', { get: async () => Buffer.alloc(31, 1) }],
    ['the previous key', { get: async () => KEY, previous: async () => Buffer.alloc(31, 1) }],
  ])('when %s read from the source is shorter than 32 bytes, verification rejects', async (_name, source) => {
    // Prepare
    const foreign = paramsOf(await signLink(BASE_URL, FIELDS, new StaticSigningKeySource(OTHER_KEY)));

    // Act
    const error = await rejectionOf(verifyLink(foreign, source, NOW));

    // Assess
    expect(error.message).toBe('a link-signing key must have at least 32 bytes');
  });

  it('when a key has exactly 32 bytes, it is accepted', async () => {
    // Prepare
    const source = new StaticSigningKeySource(Buffer.alloc(32, 7));

    // Act
    const result = await verifyLink(paramsOf(await signLink(BASE_URL, FIELDS, source)), source, NOW);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('when a link and its form token are signed, they are the documented HMACs of the JSON field array', () => {
    // Prepare
    const message = (label: string) =>
      JSON.stringify([label, FIELDS.approvalId, 'alice@example.com', FIELDS.action, FIELDS.expires]);
    const hmac = (label: string) => createHmac('sha256', KEY).update(message(label)).digest('base64url');

    // Act
    const pair = [linkSignature(FIELDS, KEY), formToken(FIELDS, KEY)];

    // Assess
    expect(pair).toEqual([hmac('approval-link/v1'), hmac('approval-form/v1')]);
  });

  it('when a value that is not a string spells an email or an id, it is neither', () => {
    // Prepare: arrays print as their element, so only the type check refuses them
    const values = [['alice@example.com'], ['approval-1']];

    // Act
    const results = [isApproverEmail(values[0]), isApprovalId(values[1])];

    // Assess
    expect(results).toEqual([false, false]);
  });

  it('when a form token is malformed, it is refused before any key is read', async () => {
    // Prepare
    const unreadable: SigningKeySource = { get: () => Promise.reject(new Error('secret unreadable')) };

    // Act
    const results = await Promise.all([
      verifyFormToken(FIELDS, undefined, unreadable),
      verifyFormToken(FIELDS, 'abc+/=', unreadable),
    ]);

    // Assess
    expect(results).toEqual([false, false]);
  });

  it('when a form token is malformed or well formed but short, it is refused without throwing', async () => {
    // Act
    const results = await Promise.all([
      verifyFormToken(FIELDS, 'abc+/=', keys),
      verifyFormToken(FIELDS, 'A'.repeat(42), keys),
      verifyFormToken(FIELDS, '', keys),
    ]);

    // Assess
    expect(results).toEqual([false, false, false]);
  });
});

describe('SecretSigningKeySource', () => {
  const secretOf = (value: string) => ({ get: async () => value });

  it('when the secret holds current and previous keys, it answers both', async () => {
    // Prepare
    const source = new SecretSigningKeySource(
      secretOf(JSON.stringify({ current: KEY.toString('base64'), previous: OLD_KEY.toString('base64url') })),
      'approval-link-keys',
    );

    // Act
    const [current, previous] = [await source.get(), await source.previous()];

    // Assess
    expect(current.equals(KEY)).toBe(true);
    expect(previous?.equals(OLD_KEY)).toBe(true);
  });

  it.each([
    ['not JSON', 'hunter2'],
    ['without a current key', JSON.stringify({ previous: KEY.toString('base64') })],
    ['with a short key', JSON.stringify({ current: Buffer.alloc(16).toString('base64') })],
  ])('when the secret is %s, it fails as misconfigured without showing the value', async (_name, value) => {
    // Prepare
    const source = new SecretSigningKeySource(secretOf(value), 'approval-link-keys');

    // Act
    const error = await rejectionOf(source.get());

    // Assess
    expect(error).toBeInstanceOf(PipelineMisconfiguredError);
    expect(error.message).toContain('approval-link-keys');
    expect(error.message).not.toContain(value);
  });
});

/** A base64url character that decodes to the same 32 bytes as the signature's last one (spare bits set). */
function spare(sig: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig[sig.length - 1] as string);
  return alphabet[last ^ 1] as string;
}
