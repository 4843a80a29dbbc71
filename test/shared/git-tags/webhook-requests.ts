import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SecretSource } from '../../../shared/ports/secrets';
import type { TagEventPublisher } from '../../../shared/ports/git-tags';
import type { TagCreatedDetail } from '../../../shared/git-tags/tag-created.schema';

/** The secret the sample deliveries in events/github-*.json are signed with (a test value, never deployed). */
export const SAMPLE_SECRET = 'sample-webhook-secret-do-not-use';
export const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const TAG_OBJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';

const EVENTS = join(__dirname, '..', '..', '..', 'events');

/** `sha256=<hex>` of `body` under `secret`, as GitHub sends it in X-Hub-Signature-256. */
export function sign(body: string | Buffer, secret: string = SAMPLE_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A sample API Gateway HTTP API event from events/. */
export function loadWebhook(file: string): APIGatewayProxyEventV2 {
  return JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as APIGatewayProxyEventV2;
}

/** A push payload that creates the tag, as GitHub sends it; `over` replaces top-level fields. */
export function tagPushPayload(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/tags/v1.4.0',
    before: '0'.repeat(40),
    after: TAG_OBJECT,
    created: true,
    deleted: false,
    forced: false,
    base_ref: 'refs/heads/main',
    commits: [],
    head_commit: { id: COMMIT, message: 'Release 1.4.0' },
    repository: { name: 'orders-api', full_name: 'example-org/orders-api' },
    pusher: { name: 'jane-doe', email: 'jane@example.com' },
    sender: { login: 'jane-doe' },
    ...over,
  };
}

export interface DeliveryOptions {
  event?: string;
  method?: string;
  headers?: Record<string, string | undefined>;
  secret?: string;
  base64?: boolean;
  /** Sign this instead of the body. */
  signBody?: string;
}

/** An API Gateway HTTP API (v2) event carrying `body`, signed with the sample secret unless told otherwise. */
export function delivery(body: string, options: DeliveryOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'x-github-event': options.event ?? 'push',
    'x-github-delivery': '6f1e2d3c-4b5a-11f0-8e7d-6c5b4a392817',
    'x-hub-signature-256': sign(options.signBody ?? body, options.secret),
    ...options.headers,
  };
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/github',
    rawPath: '/webhooks/github',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: {
        method: options.method ?? 'POST',
        path: '/webhooks/github',
        protocol: 'HTTP/1.1',
        sourceIp: '140.82.115.10',
        userAgent: 'GitHub-Hookshot/5c0e0a2',
      },
      requestId: 'QhVv1gNmDoEEJxA=',
      routeKey: 'POST /webhooks/github',
      stage: '$default',
      time: '20/Nov/2026:10:02:11 +0000',
      timeEpoch: 1795168931000,
    },
    body: options.base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: options.base64 === true,
  } as APIGatewayProxyEventV2;
}

/** Records what would go to the pipeline bus; `failWith` makes every publish reject. */
export class RecordingPublisher implements TagEventPublisher {
  readonly published: TagCreatedDetail[] = [];
  failWith: Error | undefined;

  async publish(detail: TagCreatedDetail): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.published.push(structuredClone(detail));
  }
}

/** Hands out one secret (or fails with an error); counts the reads. */
export class StaticSecrets implements SecretSource {
  reads = 0;

  constructor(private readonly value: string | Error = SAMPLE_SECRET) {}

  async get(_name: string): Promise<string> {
    this.reads += 1;
    if (this.value instanceof Error) throw this.value;
    return this.value;
  }
}
