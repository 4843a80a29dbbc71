import {
  MAX_BODY_BYTES,
  headerOf,
  preflight,
  readGitHubWebhook,
  type WebhookRequest,
} from '../../../shared/git-tags/github-webhook';
import { COMMIT, SAMPLE_SECRET, TAG_OBJECT, loadWebhook, sign, tagPushPayload } from './webhook-requests';

function request(
  payload: unknown,
  event = 'push',
  headers: Record<string, string | undefined> = {},
): WebhookRequest {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-hub-signature-256': sign(body),
      ...headers,
    },
    body,
  };
}

function fromSample(file: string): WebhookRequest {
  const event = loadWebhook(file);
  return { headers: event.headers, body: event.body ?? '', isBase64Encoded: event.isBase64Encoded };
}

describe('readGitHubWebhook', () => {
  describe('tag creations', () => {
    it('when the sample annotated tag push is signed, it returns the tag with the tagged commit, not the tag object', () => {
      // Act
      const result = readGitHubWebhook(fromSample('github-push-tag-created.json'), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({
        kind: 'tag',
        detail: {
          repository: 'example-org/orders-api',
          tag: 'v1.4.0',
          commit: COMMIT,
          createdBy: 'jane-doe',
          origin: 'github',
          // The commit's own time: where the release's lead time starts (docs/metrics.md).
          commitAt: '2026-11-20T10:01:50Z',
        },
      });
    });

    it.each([
      ['an unreadable commit time', { id: COMMIT, timestamp: 'last tuesday' }],
      ['no commit time', { id: COMMIT }],
    ])('when the head commit has %s, it releases the tag without one', (_what, headCommit) => {
      // Act
      const result = readGitHubWebhook(request(tagPushPayload({ head_commit: headCommit })), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { commit: COMMIT } });
      expect((result as { detail: Record<string, unknown> }).detail.commitAt).toBeUndefined();
    });

    it('when the push has no head commit (a lightweight tag), it takes the commit from after', () => {
      // Prepare
      const payload = tagPushPayload({ head_commit: null, after: COMMIT });

      // Act
      const result = readGitHubWebhook(request(payload), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { commit: COMMIT } });
    });

    it('when the pusher has no name, it names the sender as creator', () => {
      // Prepare
      const payload = tagPushPayload({ pusher: {}, sender: { login: 'release-bot[bot]' } });

      // Act
      const result = readGitHubWebhook(request(payload), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { createdBy: 'release-bot[bot]' } });
    });

    it('when header names come in mixed case, it still finds them', () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());
      const mixed: WebhookRequest = {
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': sign(body),
        },
        body,
      };

      // Act
      const result = readGitHubWebhook(mixed, SAMPLE_SECRET);

      // Assess
      expect(result.kind).toBe('tag');
    });

    it('when the body is base64-encoded, it verifies and reads the decoded bytes', () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());
      const encoded: WebhookRequest = {
        ...request(body),
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
      };

      // Act
      const result = readGitHubWebhook(encoded, SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { tag: 'v1.4.0' } });
    });

    it('when the body holds non-ASCII text, it signs the UTF-8 bytes as GitHub does', () => {
      // Prepare
      const payload = tagPushPayload({ pusher: { name: 'Zoë Ångström' } });

      // Act
      const result = readGitHubWebhook(request(payload), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { createdBy: 'Zoë Ångström' } });
    });
  });

  describe('signatures', () => {
    it.each([
      ['wrong', { 'x-hub-signature-256': sign('{}', 'another-secret') }, /does not match/],
      ['missing', { 'x-hub-signature-256': undefined }, /is missing: give the webhook a secret/],
      [
        'sha1 only',
        {
          'x-hub-signature-256': undefined,
          'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567',
        },
        /SHA-1/,
      ],
      ['malformed', { 'x-hub-signature-256': 'sha256=xyz' }, /not of the form/],
      ['truncated', { 'x-hub-signature-256': sign('{}').slice(0, 40) }, /not of the form/],
      ['empty', { 'x-hub-signature-256': '' }, /is missing/],
    ])('when the signature is %s, it rejects with 401', (_what, headers, reason) => {
      // Act
      const result = readGitHubWebhook(request(tagPushPayload(), 'push', headers), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({ kind: 'rejected', status: 401, reason: expect.stringMatching(reason) });
    });

    it('when the signature is for another body, it rejects with 401', () => {
      // Act
      const result = readGitHubWebhook(fromSample('github-push-tag-forged.json'), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', status: 401 });
    });

    it('when the secret is empty, it accepts nothing, not even a body signed with the empty key', () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());

      // Act
      const result = readGitHubWebhook(request(body, 'push', { 'x-hub-signature-256': sign(body, '') }), '');

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', status: 401 });
    });

    it('when the signature uses uppercase hex digits, it still verifies them', () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());

      // Act
      const result = readGitHubWebhook(
        request(body, 'push', { 'x-hub-signature-256': `sha256=${sign(body).slice(7).toUpperCase()}` }),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result.kind).toBe('tag');
    });

    it('when a reason is returned, it never contains the secret or the signature', () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());
      const forged = sign(body, 'not-the-secret');

      // Act
      const result = readGitHubWebhook(
        request(body, 'push', { 'x-hub-signature-256': forged }),
        SAMPLE_SECRET,
      );

      // Assess
      const text = JSON.stringify(result);
      expect(text).not.toContain(SAMPLE_SECRET);
      expect(text).not.toContain(forged.slice(7));
    });
  });

  describe('size, content type, event name and JSON', () => {
    it('when the body is over 1 MiB, it rejects with 413 before checking the signature', () => {
      // Prepare
      const big = request('x'.repeat(MAX_BODY_BYTES + 1), 'push', { 'x-hub-signature-256': undefined });

      // Act
      const result = readGitHubWebhook(big, SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', status: 413 });
    });

    it('when a base64 body decodes to over 1 MiB, it rejects with 413', () => {
      // Prepare
      const encoded = Buffer.alloc(MAX_BODY_BYTES + 1, 'a').toString('base64');

      // Act
      const result = preflight({ headers: {}, body: encoded, isBase64Encoded: true });

      // Assess: the message gives the decoded size, not the limit alone
      expect(result).toMatchObject({ kind: 'rejected', status: 413 });
      expect(JSON.stringify(result)).toContain(
        `the body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES} (1024 KiB)`,
      );
    });

    it('when the body is exactly 1 MiB of multi-byte text, it counts bytes, not characters', () => {
      // Prepare
      const body = 'é'.repeat(MAX_BODY_BYTES / 2 + 1);

      // Act
      const result = preflight(request(body));

      // Assess
      expect(result).toMatchObject({ status: 413 });
    });

    it.each([
      ['form encoded', 'application/x-www-form-urlencoded'],
      ['text', 'text/plain'],
      ['missing', undefined],
    ])('when the content type is %s, it rejects with 415', (_what, contentType) => {
      // Act
      const result = readGitHubWebhook(
        request(tagPushPayload(), 'push', { 'content-type': contentType }),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', status: 415 });
    });

    it('when X-GitHub-Event is missing, it rejects with 400', () => {
      // Act
      const result = readGitHubWebhook(
        request(tagPushPayload(), 'push', { 'x-github-event': undefined }),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result).toEqual({
        kind: 'rejected',
        status: 400,
        reason: 'the X-GitHub-Event header is missing',
      });
    });

    it.each([
      ['truncated JSON', '{"ref": "refs/tags/v1.4.0"'],
      ['a JSON array', '[1,2,3]'],
      ['a JSON string', '"push"'],
      ['empty', ''],
    ])('when the signed body is %s, it rejects with 400', (_what, body) => {
      // Act
      const result = readGitHubWebhook(request(body), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({ kind: 'rejected', status: 400, reason: 'the body is not a JSON object' });
    });

    it('when the signed body is not valid UTF-8, it rejects with 400', () => {
      // Prepare
      const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
      const encoded: WebhookRequest = {
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': sign(bytes),
        },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      };

      // Act
      const result = readGitHubWebhook(encoded, SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'rejected', status: 400 });
    });
  });

  describe('events that release nothing', () => {
    it('when GitHub pings, it returns ping', () => {
      // Act
      const result = readGitHubWebhook(fromSample('github-ping.json'), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({ kind: 'ping' });
    });

    it.each([
      ['github-push-branch.json', 'push to branch main is not a tag creation'],
      ['github-push-tag-deleted.json', 'tag v1.3.9 was deleted'],
      ['github-create-tag.json', expect.stringMatching(/^create events carry no commit id/)],
      [
        'github-release-published.json',
        'release events are not used: only push (tag creations) and ping are',
      ],
    ])('when the delivery is %s, it is ignored with a reason', (file, reason) => {
      // Act
      const result = readGitHubWebhook(fromSample(file), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({ kind: 'ignored', reason });
    });

    it('when a tag was moved by a force push, it is ignored', () => {
      // Act
      const result = readGitHubWebhook(
        request(tagPushPayload({ created: false, forced: true })),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result).toEqual({
        kind: 'ignored',
        reason: 'tag v1.4.0 existed already (moved by a force push): only new tags release',
      });
    });

    it.each(['refs/tags/nightly', 'refs/tags/v1.4', 'refs/tags/v01.4.0', 'refs/tags/1.4.0'])(
      'when the tag %s is not vX.Y.Z, it is ignored',
      (ref) => {
        // Act
        const result = readGitHubWebhook(request(tagPushPayload({ ref })), SAMPLE_SECRET);

        // Assess
        expect(result).toMatchObject({
          kind: 'ignored',
          reason: expect.stringMatching(/is not a release tag vX\.Y\.Z$/),
        });
      },
    );

    it('when the ref holds markup, the reason does not echo it', () => {
      // Act
      const result = readGitHubWebhook(
        request(tagPushPayload({ ref: 'refs/tags/<script>alert(1)</script>' })),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result).toEqual({
        kind: 'ignored',
        reason: 'tag (unprintable value) is not a release tag vX.Y.Z',
      });
    });

    it('when the event name holds markup, the reason does not echo it', () => {
      // Act
      const result = readGitHubWebhook(request({}, '<img src=x onerror=alert(1)>'), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'ignored', reason: expect.not.stringContaining('<') });
    });
  });

  describe('signed but malformed pushes', () => {
    it.each([
      ['no ref', { ref: undefined }, 'the push payload has no ref'],
      [
        'no repository',
        { repository: undefined },
        expect.stringMatching(/^not a valid tag creation: repository: /),
      ],
      ['no commit at all', { head_commit: null, after: undefined }, 'the push payload has no after commit'],
      ['a short after', { head_commit: null, after: 'abc123' }, expect.stringMatching(/commit: /)],
    ])('when the push has %s, it rejects with 400', (_what, change, reason) => {
      // Act
      const result = readGitHubWebhook(request(tagPushPayload(change)), SAMPLE_SECRET);

      // Assess
      expect(result).toEqual({ kind: 'rejected', status: 400, reason });
    });

    it('when the pusher name is huge and multi-line, it is cleaned and cut to 256 characters', () => {
      // Act
      const result = readGitHubWebhook(
        request(tagPushPayload({ pusher: { name: `a\nb${'c'.repeat(10_000)}` } })),
        SAMPLE_SECRET,
      );

      // Assess
      expect(result.kind).toBe('tag');
      const createdBy = result.kind === 'tag' ? (result.detail.createdBy ?? '') : '';
      expect(createdBy).toHaveLength(256);
      expect(createdBy.startsWith('abccc')).toBe(true);
    });

    it('when a tag push signature is valid, a tag object id in after is never taken for the commit', () => {
      // Act
      const result = readGitHubWebhook(request(tagPushPayload()), SAMPLE_SECRET);

      // Assess
      expect(result).toMatchObject({ kind: 'tag', detail: { commit: COMMIT } });
      expect(JSON.stringify(result)).not.toContain(TAG_OBJECT);
    });
  });
});

describe('headerOf', () => {
  it('when several spellings exist, it returns the first non-empty one', () => {
    // Act
    const value = headerOf({ 'x-github-event': '', 'X-GitHub-Event': 'push' }, 'X-GITHUB-EVENT');

    // Assess
    expect(value).toBe('push');
  });
});

describe('readGitHubWebhook: exact edges of the checks', () => {
  /** A tag push padded with spaces (still the same JSON) to exactly `bytes` bytes. */
  const padded = (bytes: number) => {
    const json = JSON.stringify(tagPushPayload());
    return json + ' '.repeat(bytes - Buffer.byteLength(json));
  };
  const tag = { kind: 'tag', detail: expect.objectContaining({ tag: 'v1.4.0', commit: COMMIT }) };

  it.each<[string, () => WebhookRequest, unknown]>([
    ['a body of exactly the limit', () => request(padded(MAX_BODY_BYTES)), tag],
    [
      'a base64 body that decodes to exactly the limit',
      () => {
        const raw = Buffer.from(padded(MAX_BODY_BYTES));
        return { ...request(raw.toString()), body: raw.toString('base64'), isBase64Encoded: true };
      },
      tag,
    ],
    [
      'a body one byte over the limit',
      () => request(padded(MAX_BODY_BYTES + 1)),
      {
        kind: 'rejected',
        status: 413,
        reason: `the body is ${MAX_BODY_BYTES + 1} bytes; the limit is ${MAX_BODY_BYTES} (1024 KiB)`,
      },
    ],
    [
      'a signature header with spaces around it',
      () => {
        const body = JSON.stringify(tagPushPayload());
        return request(body, 'push', { 'x-hub-signature-256': ` ${sign(body)} ` });
      },
      tag,
    ],
    [
      'a content type in capitals with spaces and a charset',
      () => request(tagPushPayload(), 'push', { 'content-type': 'Application/JSON ; charset=utf-8' }),
      tag,
    ],
    [
      'a form-encoded delivery',
      () => request(tagPushPayload(), 'push', { 'content-type': 'application/x-www-form-urlencoded' }),
      {
        kind: 'rejected',
        status: 415,
        reason: 'the content type must be application/json: set it in the webhook settings',
      },
    ],
    ['an event name with spaces around it', () => request(tagPushPayload(), ' push '), tag],
    [
      'an event name of spaces only',
      () => request(tagPushPayload(), '   '),
      { kind: 'rejected', status: 400, reason: 'the X-GitHub-Event header is missing' },
    ],
    [
      'no body at all, signed as empty',
      // API Gateway leaves `body` out when there is none, whatever the type says.
      () => ({ headers: request('').headers }) as unknown as WebhookRequest,
      { kind: 'rejected', status: 400, reason: 'the body is not a JSON object' },
    ],
  ])('%s: the result is exact', (_what, make, expected) => {
    expect(readGitHubWebhook(make(), SAMPLE_SECRET)).toEqual(expected);
  });
});
