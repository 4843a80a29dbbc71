import { readGitHubWebhook, type WebhookRequest } from '../../../shared/git-tags/github-webhook';
import { SAMPLE_SECRET, sign, tagPushPayload } from './webhook-requests';

/**
 * The webhook's HMAC check byte by byte: a signature that differs from the right one in any single byte
 * of the 32 (first half or second half) is rejected, and only the exact one is accepted.
 */
const BODY = JSON.stringify(tagPushPayload());
const RIGHT = sign(BODY).slice('sha256='.length);

function withSignature(hex: string): WebhookRequest {
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${hex}`,
    },
    body: BODY,
  };
}

/** The right signature with byte `index` flipped in its lowest bit. */
function flipped(index: number): string {
  const bytes = Buffer.from(RIGHT, 'hex');
  bytes[index] = bytes[index]! ^ 1;
  return bytes.toString('hex');
}

describe('webhook signature, byte by byte', () => {
  it('when the signature is exactly right, the delivery is read', () => {
    expect(readGitHubWebhook(withSignature(RIGHT), SAMPLE_SECRET)).toMatchObject({ kind: 'tag' });
  });

  it.each(Array.from({ length: 32 }, (_, i) => i))(
    'when byte %d of the signature is wrong, it rejects with 401',
    (index) => {
      expect(readGitHubWebhook(withSignature(flipped(index)), SAMPLE_SECRET)).toEqual({
        kind: 'rejected',
        status: 401,
        reason: 'X-Hub-Signature-256 does not match the body (check the webhook secret)',
      });
    },
  );

  it.each<[string, string]>([
    ['the first half right, the second half zero', RIGHT.slice(0, 32) + '0'.repeat(32)],
    ['the second half right, the first half zero', '0'.repeat(32) + RIGHT.slice(32)],
    ['the right signature reversed', RIGHT.split('').reverse().join('')],
  ])('when the signature has %s, it rejects with 401', (_what, hex) => {
    expect(readGitHubWebhook(withSignature(hex), SAMPLE_SECRET)).toMatchObject({
      kind: 'rejected',
      status: 401,
    });
  });

  it('when the body is signed with another secret, it rejects with 401', () => {
    const hex = sign(BODY, `${SAMPLE_SECRET}x`).slice('sha256='.length);
    expect(readGitHubWebhook(withSignature(hex), SAMPLE_SECRET)).toMatchObject({
      kind: 'rejected',
      status: 401,
    });
  });

  it('when the secret is missing altogether (not a string), it accepts nothing', () => {
    expect(readGitHubWebhook(withSignature(RIGHT), undefined as unknown as string)).toMatchObject({
      kind: 'rejected',
      status: 401,
    });
  });
});
