import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { usePropertySeed } from '../helpers/property-seed';
import { createReceiveGitHubWebhook } from '../../functions/receive-github-webhook/handler';
import { AwsTransientError } from '../../shared/domain/errors';
import { MAX_BODY_BYTES } from '../../shared/git-tags/github-webhook';
import { tagCreatedDetailSchema } from '../../shared/git-tags/tag-created.schema';
import { logger } from '../../shared/middleware/lambda-step';
import {
  RecordingPublisher,
  SAMPLE_SECRET,
  StaticSecrets,
  delivery,
  sign,
  tagPushPayload,
} from '../shared/git-tags/webhook-requests';

/** The repositories the generated deliveries' configuration releases (the generators also write others). */
const RELEASED = ['example-org/orders-api', 'orders-api'];
const releasesService = (repository: string) => RELEASED.includes(repository);

usePropertySeed();

/**
 * Throws generated and mutated deliveries at the handler. Whatever arrives, the handler answers with a 4xx,
 * 200 or 202 (503 only when AWS is down), publishes only what carries a valid signature of its exact bytes,
 * and never echoes the secret or the signature in a response or a log line.
 */

const SECRET = SAMPLE_SECRET;
const EXPECTED_HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const hostile = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom(
    '<script>alert(document.cookie)</script>',
    '"><img src=x onerror=alert(1)>',
    '\u0000\u001b[31mred\r\nX-Injected: 1',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '\ud800',
  ),
  fc.nat({ max: 300_000 }).map((n) => 'A'.repeat(n)),
);

/** A push payload in the shape GitHub sends, with any field possibly replaced by something hostile. */
const pushPayload = fc
  .record(
    {
      ref: fc.oneof(
        fc.constantFrom('refs/tags/v1.4.0', 'refs/tags/v0.0.1', 'refs/heads/main', 'refs/tags/nightly'),
        hostile.map((s) => `refs/tags/${s}`),
        hostile,
      ),
      created: fc.oneof(fc.boolean(), fc.constant('true'), fc.constant(null)),
      deleted: fc.oneof(fc.boolean(), fc.constant(undefined)),
      after: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), fc.constant('0'.repeat(40)), hostile),
      head_commit: fc.oneof(
        fc.constant(null),
        fc.record({ id: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), hostile) }),
      ),
      repository: fc.oneof(
        fc.record({ full_name: fc.oneof(fc.constantFrom('example-org/orders-api', 'orders-api'), hostile) }),
        fc.constant(null),
        hostile,
      ),
      pusher: fc.oneof(fc.record({ name: fc.oneof(hostile, fc.integer()) }), fc.constant(undefined)),
      sender: fc.oneof(fc.record({ login: hostile }), fc.constant(undefined)),
    },
    { requiredKeys: [] },
  )
  .map((fields) => JSON.stringify(tagPushPayload(fields)));

const body = fc.oneof(
  { arbitrary: pushPayload, weight: 6 },
  { arbitrary: fc.json(), weight: 2 },
  { arbitrary: hostile, weight: 2 },
  { arbitrary: fc.constant(JSON.stringify(tagPushPayload())), weight: 2 },
  { arbitrary: fc.constant('x'.repeat(MAX_BODY_BYTES + 1)), weight: 1 },
  { arbitrary: fc.constant(''), weight: 1 },
);

type SignatureMode =
  'valid' | 'wrong-secret' | 'other-body' | 'random' | 'flipped' | 'missing' | 'sha1-only' | 'junk';
const signatureMode = fc.constantFrom<SignatureMode>(
  'valid',
  'valid',
  'valid',
  'wrong-secret',
  'other-body',
  'random',
  'flipped',
  'missing',
  'sha1-only',
  'junk',
);

const randomHeaders = fc.dictionary(
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }),
    fc.constantFrom(
      'Content-Type',
      'X-GITHUB-EVENT',
      'x-hub-signature',
      'X-Hub-Signature-256',
      'x-github-delivery',
    ),
  ),
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom('application/json', 'push', 'ping', 'create', 'release'),
  ),
  { maxKeys: 6 },
);

const anyRequest = fc.record({
  body,
  mode: signatureMode,
  base64: fc.boolean(),
  method: fc.oneof(
    { arbitrary: fc.constant('POST'), weight: 9 },
    { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'post'), weight: 1 },
  ),
  event: fc.oneof(
    fc.constantFrom('push', 'push', 'ping', 'create', 'release', 'issues'),
    hostile,
    fc.constant(undefined),
  ),
  contentType: fc.oneof(
    { arbitrary: fc.constantFrom('application/json', 'Application/JSON; charset=utf-8'), weight: 8 },
    {
      arbitrary: fc.oneof(fc.constantFrom('application/x-www-form-urlencoded', 'text/html'), hostile),
      weight: 1,
    },
    { arbitrary: fc.constant(undefined), weight: 1 },
  ),
  extraHeaders: randomHeaders,
  junk: fc.string({ maxLength: 100 }),
  flip: fc.nat({ max: 63 }),
  /** Mutate the body after it was signed (one character appended, replaced or removed). */
  mutate: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    { arbitrary: fc.constantFrom('append', 'replace', 'truncate'), weight: 1 },
  ),
});

/** Deliveries as GitHub would send them, hostile only inside the payload: these reach the publishing path. */
const wellFormedRequest = fc.record({
  body: fc.oneof(pushPayload, fc.constant(JSON.stringify(tagPushPayload()))),
  mode: fc.constant<SignatureMode>('valid'),
  base64: fc.boolean(),
  method: fc.constant('POST'),
  event: fc.constant<string | undefined>('push'),
  contentType: fc.constant<string | undefined>('application/json'),
  extraHeaders: fc.constant<Record<string, string>>({}),
  junk: fc.constant(''),
  flip: fc.constant(0),
  mutate: fc.constant<'append' | 'replace' | 'truncate' | undefined>(undefined),
});

const request = fc.oneof({ arbitrary: anyRequest, weight: 3 }, { arbitrary: wellFormedRequest, weight: 1 });

type Generated = typeof anyRequest extends fc.Arbitrary<infer T> ? T : never;

function signatureFor(generated: Generated): { header: Record<string, string | undefined>; valid: string } {
  const valid = sign(Buffer.from(generated.body, 'utf8'), SECRET);
  const hex = valid.slice('sha256='.length);
  switch (generated.mode) {
    case 'valid':
      return { header: { 'x-hub-signature-256': valid }, valid };
    case 'wrong-secret':
      return { header: { 'x-hub-signature-256': sign(generated.body, `${SECRET}x`) }, valid };
    case 'other-body':
      return { header: { 'x-hub-signature-256': sign(`other:${generated.body}`, SECRET) }, valid };
    case 'random':
      return {
        header: { 'x-hub-signature-256': `sha256=${sign(generated.junk, 'random').slice(7)}` },
        valid,
      };
    case 'flipped': {
      const at = generated.flip;
      const flipped = hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);
      return { header: { 'x-hub-signature-256': `sha256=${flipped}` }, valid };
    }
    case 'missing':
      return { header: { 'x-hub-signature-256': undefined }, valid };
    case 'sha1-only':
      return {
        header: { 'x-hub-signature-256': undefined, 'x-hub-signature': `sha1=${hex.slice(0, 40)}` },
        valid,
      };
    case 'junk':
      return { header: { 'x-hub-signature-256': generated.junk }, valid };
  }
}

function mutated(text: string, how: Generated['mutate']): string {
  if (how === 'append') return `${text} `;
  if (how === 'replace')
    return text.length > 0 ? `${text.slice(0, -1)}${text.endsWith('}') ? ']' : '}'}` : 'x';
  if (how === 'truncate') return text.slice(0, -1);
  return text;
}

function toEvent(generated: Generated): {
  event: APIGatewayProxyEventV2;
  signature: string | undefined;
  signedExactly: boolean;
} {
  const { header } = signatureFor(generated);
  const sent = mutated(generated.body, generated.mutate);
  const event = delivery(sent, {
    method: generated.method,
    base64: generated.base64,
    event: generated.event ?? '',
    headers: {
      // Random headers first: the generated ones may override the real ones in any case.
      ...generated.extraHeaders,
      'content-type': generated.contentType,
      ...header,
      'x-hub-signature-256': header['x-hub-signature-256'],
    },
  });
  const signature = header['x-hub-signature-256'];
  // The only deliveries allowed to publish: the header is the signature of the exact bytes sent, under the secret.
  const signedExactly = signature !== undefined && signature.toLowerCase() === sign(sent, SECRET);
  return { event, signature, signedExactly };
}

function everythingLogged(spies: jest.SpyInstance[]): string {
  return spies
    .flatMap((spy) => spy.mock.calls)
    .map((args) => JSON.stringify(args))
    .join('\n');
}

describe('receive-github-webhook under generated and mutated deliveries', () => {
  let spies: jest.SpyInstance[];

  beforeEach(() => {
    spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation(() => undefined),
    );
  });

  afterEach(() => jest.restoreAllMocks());

  it('when any delivery arrives, it never answers 5xx, publishes only validly signed tag pushes and echoes no secret', async () => {
    // Prepare
    let runs = 0;
    let published = 0;
    const property = fc.asyncProperty(request, async (generated) => {
      const publisher = new RecordingPublisher();
      const receive = createReceiveGitHubWebhook({
        secrets: new StaticSecrets(SECRET),
        publisher,
        secretName: 'webhook',
        releasesService,
      });
      const { event, signature, signedExactly } = toEvent(generated);
      spies.forEach((spy) => spy.mockClear());
      runs += 1;

      // Act
      const response = await receive(event);

      // Assess
      expect([200, 202, 400, 401, 405, 413, 415]).toContain(response.statusCode);
      expect(response.headers).toMatchObject(EXPECTED_HEADERS);
      expect(typeof (JSON.parse(response.body) as { message: unknown }).message).toBe('string');
      if (publisher.published.length > 0) {
        if (!signedExactly) throw new Error(`published without a valid signature: ${JSON.stringify(event)}`);
        expect(generated.method).toBe('POST');
      }
      expect(publisher.published.length).toBe(response.statusCode === 202 ? 1 : 0);
      for (const detail of publisher.published) {
        expect(tagCreatedDetailSchema.safeParse(detail).success).toBe(true);
        expect(releasesService(detail.repository)).toBe(true);
      }
      published += publisher.published.length;

      const exposed = `${JSON.stringify(response)}\n${everythingLogged(spies)}`;
      expect(exposed).not.toContain(SECRET);
      const hex = /^sha256=([0-9a-fA-F]{32,})/.exec(signature ?? '')?.[1];
      if (hex !== undefined) expect(exposed).not.toContain(hex);
    });

    // Act
    await fc.assert(property, { numRuns: 2000 });

    // Assess: the generators really did reach the publishing path, not only the rejections.
    expect(runs).toBeGreaterThanOrEqual(2000);
    expect(published).toBeGreaterThan(20);
  });

  it('when validly signed deliveries are mutated after signing, it never publishes them', async () => {
    // Prepare
    const signedThenMutated = fc.record({
      payload: pushPayload,
      how: fc.constantFrom<Generated['mutate']>('append', 'replace', 'truncate'),
      base64: fc.boolean(),
    });
    const property = fc.asyncProperty(signedThenMutated, async ({ payload, how, base64 }) => {
      const publisher = new RecordingPublisher();
      const receive = createReceiveGitHubWebhook({
        secrets: new StaticSecrets(SECRET),
        publisher,
        secretName: 'webhook',
        releasesService,
      });
      const event = delivery(mutated(payload, how), {
        base64,
        headers: { 'x-hub-signature-256': sign(payload) },
      });

      // Act
      const response = await receive(event);

      // Assess
      expect(response.statusCode).toBe(401);
      expect(publisher.published).toEqual([]);
    });

    // Act
    await fc.assert(property, { numRuns: 500 });
  });

  it('when AWS is down, the only 5xx it answers is the deliberate 503, and it publishes nothing', async () => {
    // Prepare
    const property = fc.asyncProperty(request, fc.boolean(), async (generated, secretDown) => {
      const publisher = new RecordingPublisher();
      if (!secretDown) publisher.failWith = new AwsTransientError('EventBridge PutEvents throttled');
      const secrets = new StaticSecrets(
        secretDown ? new AwsTransientError('Secrets Manager throttled') : SECRET,
      );
      const receive = createReceiveGitHubWebhook({
        secrets,
        publisher,
        secretName: 'webhook',
        releasesService,
      });
      const { event } = toEvent(generated);

      // Act
      const response = await receive(event);

      // Assess
      expect([200, 400, 401, 405, 413, 415, 503]).toContain(response.statusCode);
      expect(publisher.published).toEqual([]);
      expect(response.body).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
    });

    // Act
    await fc.assert(property, { numRuns: 500 });
  });
});
