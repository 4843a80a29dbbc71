/**
 * The approval pages of `pipeline local` check where a POST comes from as they do in AWS (APPROVAL_BASE_URL
 * there, the server's own URL here): another site cannot decide an approval in the approver's browser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import type { StoredMail } from '../../local-runtime/adapters/local-mailbox';
import { SteppedClock } from '../support/stepped-clock';

const ROOT = join(__dirname, '..', '..');
const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
const event = (name: string) => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as unknown;

let pipeline: LocalPipeline;
let server: LocalHttpServer;

beforeEach(async () => {
  pipeline = await LocalPipeline.start({
    config,
    clock: (resumeAt) => new SteppedClock(resumeAt ?? Date.now()),
    approvals: 'email',
  });
  server = await serveLocalPipeline(pipeline, 0);
});

afterEach(async () => {
  await server.close();
  await pipeline.close({ abandon: true });
});

const clock = () => pipeline.clock as SteppedClock;

/** Moves time on, one timer at a time, until the approval email for prod/eu-west-1 is in the mailbox. */
async function approvalMail(): Promise<StoredMail> {
  for (;;) {
    const mail = pipeline.mailbox.list().find((m) => m.subject.includes('prod/eu-west-1'));
    if (mail) return mail;
    if (!(await clock().step())) throw new Error('no approval email for prod/eu-west-1');
  }
}

/** The Approve link's page, then its form posted with `headers` (what a browser adds, or another site). */
async function postApprove(mail: StoredMail, headers: Record<string, string>): Promise<Response> {
  const link = mail.links.find((l) => new URL(l).searchParams.get('action') === 'approve') ?? '';
  const page = await (await fetch(link, { headers: { 'sec-fetch-site': 'none' } })).text();
  const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ formToken: formToken.replace(/&amp;/g, '&') }).toString(),
  });
}

describe('the local approval page and the Origin of a POST', () => {
  it('when the POST names another site as its Origin, it is refused (400, invalid link) and nothing is decided', async () => {
    // Prepare
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    const mail = await approvalMail();

    // Act
    const response = await postApprove(mail, { origin: 'https://attacker.example' });
    const approverLater = await postApprove(mail, { 'sec-fetch-site': 'same-origin' });

    // Assess: refused, and the approval still waits for the approver, whose own click decides it
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Invalid link');
    expect(approverLater.status).toBe(200);
    expect(await approverLater.text()).toContain('is approved by release-manager@example.com');
  });

  it('when the POST comes from the server’s own origin, the approval is recorded', async () => {
    // Prepare
    await pipeline.putEvent(event('ecr-push-orders-api.json'));
    await pipeline.putEvent(event('git-tag-orders-api-v1.4.0.json'));
    const mail = await approvalMail();

    // Act
    const response = await postApprove(mail, { origin: server.url });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Approved');
  });
});
