import {
  formToken,
  linkExpiry,
  signLink,
  StaticSigningKeySource,
  verifyFormToken,
  verifyLink,
  type LinkFields,
  type LinkParams,
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
