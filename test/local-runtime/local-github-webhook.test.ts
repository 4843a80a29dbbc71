import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';

const ROOT = join(__dirname, '..', '..');
const COMMIT = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

let pipeline: LocalPipeline;
let http: LocalHttpServer | undefined;

afterEach(async () => {
  await pipeline?.close({ abandon: true });
  await http?.close();
});

function delivery(secret: string, tag: string, repository = 'example-org/orders-api'): RequestInit {
  const body = JSON.stringify({
    ref: `refs/tags/${tag}`,
    created: true,
    deleted: false,
    after: COMMIT,
    head_commit: { id: COMMIT },
    repository: { full_name: repository },
    pusher: { name: 'release-bot' },
  });
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
  };
}

describe('the GitHub webhook on the local server', () => {
  it('when a signed tag push is delivered to /webhooks/github, it starts the release the AWS endpoint would', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    http = await serveLocalPipeline(pipeline);
    const { url } = http;
    await pipeline.putEvent(
      JSON.parse(readFileSync(join(ROOT, 'events', 'ecr-push-orders-api.json'), 'utf8')),
    );
    await pipeline.settled();

    // Act
    const response = await fetch(`${url}/webhooks/github`, delivery(pipeline.githubWebhookSecret, 'v1.4.0'));
    await pipeline.settled();

    // Assess
    expect(response.status).toBe(202);
    const releases = (
      await pipeline.engine.listExecutions({ stateMachineArn: pipeline.stateMachineArns.release })
    ).executions;
    expect(releases.map((e) => e.name)).toEqual(['release-orders-api-v1_4_0-4b825dc6']);
    expect(
      (await pipeline.engine.describeExecution({ executionArn: releases[0]!.executionArn })).status,
    ).toBe('SUCCEEDED');
  });

  it('when the signature was made with another secret, it answers 401 and starts nothing', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    http = await serveLocalPipeline(pipeline);
    const { url } = http;

    // Act
    const response = await fetch(`${url}/webhooks/github`, delivery('not-the-secret', 'v1.4.0'));

    // Assess
    expect(response.status).toBe(401);
    expect((await pipeline.engine.listExecutions({})).executions).toEqual([]);
  });

  it('when a signed tag push comes from a repository no service is released from, it answers 200 ignored and starts nothing', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: loadConfigFile(join(ROOT, 'pipeline.config.yml')) });
    http = await serveLocalPipeline(pipeline);
    const { url } = http;

    // Act
    const response = await fetch(
      `${url}/webhooks/github`,
      delivery(pipeline.githubWebhookSecret, 'v1.4.0', 'example-org/billing-api'),
    );
    await pipeline.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: string }).message).toContain(
      'repository "example-org/billing-api" is the gitRepository of no configured service',
    );
    expect((await pipeline.engine.listExecutions({})).executions).toEqual([]);
  });
});
