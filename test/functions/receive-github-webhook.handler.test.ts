import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  createReceiveGitHubWebhook,
  webhookEnvironment,
  type WebhookOutcome,
} from '../../functions/receive-github-webhook/handler';
import { AwsTransientError, PipelineMisconfiguredError } from '../../shared/domain/errors';
import { MAX_BODY_BYTES } from '../../shared/git-tags/github-webhook';
import { invokeThroughMiddleware } from '../support/fakes';
import {
  COMMIT,
  RecordingPublisher,
  SAMPLE_SECRET,
  StaticSecrets,
  delivery,
  loadWebhook,
  sign,
  tagPushPayload,
} from '../shared/git-tags/webhook-requests';

const SECRET_NAME = 'ecs-promotion-pipeline/test/github-webhook-secret';
/** The configuration these deliveries meet releases one service, from example-org/orders-api. */
const releasesService = (repository: string) => repository === 'example-org/orders-api';
const HEADERS = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

describe('receive-github-webhook handler', () => {
  let publisher: RecordingPublisher;
  let secrets: StaticSecrets;
  let outcomes: WebhookOutcome[];
  let receive: ReturnType<typeof createReceiveGitHubWebhook>;

  beforeEach(() => {
    publisher = new RecordingPublisher();
    secrets = new StaticSecrets();
    outcomes = [];
    receive = createReceiveGitHubWebhook({
      secrets,
      publisher,
      secretName: SECRET_NAME,
      releasesService,
      onOutcome: (outcome) => outcomes.push(outcome),
    });
  });

  const invoke = (event: APIGatewayProxyEventV2) =>
    invokeThroughMiddleware('receive-github-webhook', receive, event);
  const messageOf = (response: { body: string }) =>
    (JSON.parse(response.body) as { message: string }).message;

  describe('accepted', () => {
    it('when a signed tag push arrives, it publishes the normalised detail exactly once and answers 202', async () => {
      // Prepare
      const event = loadWebhook('github-push-tag-created.json');

      // Act
      const response = await invoke(event);

      // Assess
      expect(response).toEqual({
        statusCode: 202,
        headers: HEADERS,
        body: JSON.stringify({ message: 'tag v1.4.0 of example-org/orders-api queued for release' }),
      });
      expect(publisher.published).toEqual([
        {
          repository: 'example-org/orders-api',
          tag: 'v1.4.0',
          commit: COMMIT,
          createdBy: 'jane-doe',
          origin: 'github',
          commitAt: '2026-11-20T10:01:50Z',
        },
      ]);
      expect(secrets.reads).toBe(1);
      expect(outcomes).toEqual(['published']);
    });

    it('when the body arrives base64-encoded, it handles it like plain text', async () => {
      // Prepare
      const event = delivery(JSON.stringify(tagPushPayload()), { base64: true });

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(202);
      expect(publisher.published).toHaveLength(1);
    });

    it('when header names are capitalised, it still reads them', async () => {
      // Prepare
      const body = JSON.stringify(tagPushPayload());
      const event = delivery(body, {
        headers: {
          'content-type': undefined,
          'x-github-event': undefined,
          'x-hub-signature-256': undefined,
          'Content-Type': 'application/json',
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': sign(body),
        },
      });

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(202);
    });
  });

  describe('unsigned or badly signed', () => {
    it.each([
      ['a wrong signature', { 'x-hub-signature-256': sign('{}', 'guessed-secret') }],
      ['no signature', { 'x-hub-signature-256': undefined }],
      [
        'the SHA-1 header only',
        {
          'x-hub-signature-256': undefined,
          'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567',
        },
      ],
    ])('when the delivery has %s, it answers 401 and publishes nothing', async (_what, headers) => {
      // Prepare
      const event = delivery(JSON.stringify(tagPushPayload()), { headers });

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(401);
      expect(response.headers).toEqual(HEADERS);
      expect(publisher.published).toEqual([]);
      expect(outcomes).toEqual(['rejected']);
    });

    it('when the signature is for another body, it answers 401 and publishes nothing', async () => {
      // Act
      const response = await invoke(loadWebhook('github-push-tag-forged.json'));

      // Assess
      expect(response.statusCode).toBe(401);
      expect(messageOf(response)).toBe(
        'X-Hub-Signature-256 does not match the body (check the webhook secret)',
      );
      expect(publisher.published).toEqual([]);
    });

    it('when the signature is missing, it does not even fetch the secret', async () => {
      // Prepare
      const event = delivery('{}', { headers: { 'x-hub-signature-256': undefined } });

      // Act
      await invoke(event);

      // Assess
      expect(secrets.reads).toBe(0);
    });

    it('when the signature is rejected, the response echoes neither signature nor secret', async () => {
      // Prepare
      const forged = sign('{"ref":"refs/tags/v1.4.0"}');
      const event = delivery(JSON.stringify(tagPushPayload()), {
        headers: { 'x-hub-signature-256': forged },
      });

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.body).not.toContain(forged.slice('sha256='.length));
      expect(response.body).not.toContain(SAMPLE_SECRET);
    });
  });

  describe('ignored', () => {
    it.each([
      ['github-push-branch.json', 'ignored: push to branch main is not a tag creation'],
      ['github-push-tag-deleted.json', 'ignored: tag v1.3.9 was deleted'],
      [
        'github-create-tag.json',
        'ignored: create events carry no commit id and are not used: tag creations arrive as push events (subscribe to "push")',
      ],
      [
        'github-release-published.json',
        'ignored: release events are not used: only push (tag creations) and ping are',
      ],
    ])('when %s arrives, it answers 200 with the reason and publishes nothing', async (file, message) => {
      // Act
      const response = await invoke(loadWebhook(file));

      // Assess
      expect(response).toEqual({ statusCode: 200, headers: HEADERS, body: JSON.stringify({ message }) });
      expect(publisher.published).toEqual([]);
      expect(outcomes).toEqual(['ignored']);
    });

    it('when a signed tag push comes from a repository no service is released from, it answers 200 ignored with where to configure it, and publishes nothing', async () => {
      // Prepare
      const body = JSON.stringify(
        tagPushPayload({ repository: { full_name: 'example-org/billing-api', name: 'billing-api' } }),
      );

      // Act
      const response = await invoke(delivery(body));

      // Assess
      expect(response).toEqual({
        statusCode: 200,
        headers: HEADERS,
        body: JSON.stringify({
          message:
            'ignored: repository "example-org/billing-api" is the gitRepository of no configured service ' +
            '(services[].gitRepository in pipeline.config.yml)',
        }),
      });
      expect(publisher.published).toEqual([]);
      expect(outcomes).toEqual(['ignored']);
    });

    it('when GitHub pings, it answers 200', async () => {
      // Act
      const response = await invoke(loadWebhook('github-ping.json'));

      // Assess
      expect(response).toEqual({
        statusCode: 200,
        headers: HEADERS,
        body: JSON.stringify({ message: 'pong' }),
      });
      expect(publisher.published).toEqual([]);
    });
  });

  describe('client mistakes', () => {
    it('when the body is over 1 MiB, it answers 413 without fetching the secret', async () => {
      // Prepare
      const event = delivery('x'.repeat(MAX_BODY_BYTES + 1));

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(413);
      expect(secrets.reads).toBe(0);
      expect(publisher.published).toEqual([]);
    });

    it('when the signed body is not JSON, it answers 400', async () => {
      // Act
      const response = await invoke(delivery('payload=%7B%7D'));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(messageOf(response)).toBe('the body is not a JSON object');
    });

    it('when the content type is form encoded, it answers 415 saying what to set', async () => {
      // Prepare
      const event = delivery('payload=%7B%7D', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(415);
      expect(messageOf(response)).toMatch(/application\/json/);
    });

    it('when X-GitHub-Event is missing, it answers 400', async () => {
      // Act
      const response = await invoke(delivery('{}', { headers: { 'x-github-event': undefined } }));

      // Assess
      expect(response.statusCode).toBe(400);
    });

    it.each(['GET', 'PUT', 'HEAD'])('when the method is %s, it answers 405 allowing POST', async (method) => {
      // Act
      const response = await invoke(delivery(JSON.stringify(tagPushPayload()), { method }));

      // Assess
      expect(response).toEqual({
        statusCode: 405,
        headers: { ...HEADERS, allow: 'POST' },
        body: JSON.stringify({ message: 'only POST is accepted' }),
      });
      expect(publisher.published).toEqual([]);
    });

    it('when the event has no body and no headers at all, it answers 401', async () => {
      // Prepare
      const event = { requestContext: { http: { method: 'POST' } } } as unknown as APIGatewayProxyEventV2;

      // Act
      const response = await invoke(event);

      // Assess
      expect(response.statusCode).toBe(401);
    });
  });

  describe('AWS failures', () => {
    it.each([
      ['cannot be fetched', new AwsTransientError('Secrets Manager GetSecretValue throttled')],
      ['does not exist', new PipelineMisconfiguredError('secret missing')],
    ])('when the secret %s, it answers 503 and publishes nothing', async (_what, error) => {
      // Prepare
      receive = createReceiveGitHubWebhook({
        secrets: new StaticSecrets(error),
        publisher,
        secretName: SECRET_NAME,
        releasesService,
      });

      // Act
      const response = await invoke(loadWebhook('github-push-tag-created.json'));

      // Assess
      expect(response).toEqual({
        statusCode: 503,
        headers: HEADERS,
        body: JSON.stringify({ message: 'the webhook secret is unavailable; redeliver later' }),
      });
      expect(publisher.published).toEqual([]);
    });

    it('when the secret is empty, it answers 503 rather than accepting bodies signed with an empty key', async () => {
      // Prepare
      receive = createReceiveGitHubWebhook({
        secrets: new StaticSecrets(''),
        publisher,
        secretName: SECRET_NAME,
        releasesService,
      });
      const body = JSON.stringify(tagPushPayload());

      // Act
      const response = await invoke(delivery(body, { secret: '' }));

      // Assess
      expect(response.statusCode).toBe(503);
      expect(publisher.published).toEqual([]);
    });

    it('when publishing fails, it answers 503 without a stack', async () => {
      // Prepare
      publisher.failWith = new AwsTransientError(
        'EventBridge PutEvents failed for the entry (InternalFailure)',
      );

      // Act
      const response = await invoke(loadWebhook('github-push-tag-created.json'));

      // Assess
      expect(response).toEqual({
        statusCode: 503,
        headers: HEADERS,
        body: JSON.stringify({ message: 'the tag could not be queued; redeliver later' }),
      });
      expect(outcomes).toEqual(['unavailable']);
    });

    it('when an unexpected error escapes, it answers a bare 500 and never throws', async () => {
      // Prepare
      const broken = createReceiveGitHubWebhook({
        secrets,
        publisher,
        secretName: SECRET_NAME,
        releasesService,
      });
      // A getter that throws stands for a bug outside every expected path.
      const event = loadWebhook('github-push-tag-created.json');
      Object.defineProperty(event.requestContext, 'http', {
        get: () => {
          throw new TypeError('bug at line 2');
        },
      });

      // Act
      const response = await invokeThroughMiddleware('receive-github-webhook', broken, event);

      // Assess
      expect(response).toEqual({
        statusCode: 500,
        headers: HEADERS,
        body: JSON.stringify({ message: 'internal error' }),
      });
    });
  });
});

describe('webhookEnvironment', () => {
  it('when both variables are set, it returns them', () => {
    // Act
    const env = webhookEnvironment({ GITHUB_WEBHOOK_SECRET_NAME: 's', PIPELINE_EVENT_BUS_NAME: 'b' });

    // Assess
    expect(env).toMatchObject({ GITHUB_WEBHOOK_SECRET_NAME: 's', PIPELINE_EVENT_BUS_NAME: 'b' });
  });

  it('when a variable is missing, it names it', () => {
    // Act
    const read = () => webhookEnvironment({ GITHUB_WEBHOOK_SECRET_NAME: 's' });

    // Assess
    expect(read).toThrow(/PIPELINE_EVENT_BUS_NAME: is not set/);
  });
});
