/**
 * `LocalPipeline` with a data directory: a release waiting for a production approval survives a restart of
 * the local stack, and the link emailed before the restart approves it after.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../shared/config/config.loader';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { DataDirError } from '../../local-runtime/data-dir/data-dir-error';
import type { StoredMail } from '../../local-runtime/adapters/local-mailbox';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';
import { SteppedClock } from '../support/stepped-clock';

const ROOT = join(__dirname, '..', '..');
const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
const event = (name: string) => JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as unknown;
const RELEASE = 'arn:aws:states:local:000000000000:stateMachine:release';

let dataDir: string;
const open: LocalPipeline[] = [];
/** The HTTP side each stack is served on, when it is. */
const servers = new Map<LocalPipeline, LocalHttpServer>();

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'pipeline-data-dir-'));
});

afterEach(async () => {
  for (const pipeline of open.splice(0)) await close(pipeline).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A stack on the data directory. Approvals wait for a person: virtual time that moves only while the test
 * waits (SteppedClock), so an approval cannot expire before the test clicks, however busy the machine.
 */
async function startOn(dir: string): Promise<LocalPipeline> {
  const pipeline = await LocalPipeline.start({
    config,
    dataDir: dir,
    clock: (resumeAt) => new SteppedClock(resumeAt ?? Date.now()),
    approvals: 'email',
  });
  open.push(pipeline);
  return pipeline;
}

/** Serves a stack's HTTP side, as `pipeline local` does, and returns its URL. */
async function serve(pipeline: LocalPipeline, port: number): Promise<string> {
  const server = await serveLocalPipeline(pipeline, port);
  servers.set(pipeline, server);
  return server.url;
}

/** Closes a stack as `pipeline local` does on Ctrl-C: its HTTP side, then the pipeline. */
async function close(pipeline: LocalPipeline): Promise<void> {
  if (open.includes(pipeline)) open.splice(open.indexOf(pipeline), 1);
  await servers.get(pipeline)?.close();
  servers.delete(pipeline);
  await pipeline.close({ abandon: true });
}

const clockOf = (pipeline: LocalPipeline) => pipeline.clock as SteppedClock;

/** Moves time on, one timer at a time, until an approval email for `region` is in the mailbox. */
async function mailFor(pipeline: LocalPipeline, region: string): Promise<StoredMail> {
  for (;;) {
    const mail = pipeline.mailbox.list().find((m) => m.subject.includes(`prod/${region}`));
    if (mail) return mail;
    if (!(await clockOf(pipeline).step())) throw new Error(`no approval email for prod/${region}`);
  }
}

/** Moves time on until no execution runs (and nothing is in delivery). */
async function runUntilSettled(pipeline: LocalPipeline): Promise<void> {
  while ((await pipeline.engine.listExecutions({ statusFilter: 'RUNNING' })).executions.length > 0)
    if (!(await clockOf(pipeline).step())) break;
  await pipeline.settled();
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

/** What an approver's browser does with the Approve link: GET the confirmation page, POST its form. */
async function approve(mail: StoredMail): Promise<number> {
  const link = mail.links.find((l) => new URL(l).searchParams.get('action') === 'approve') ?? '';
  const page = await (await fetch(link, { headers: { 'sec-fetch-site': 'none' } })).text();
  const formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const decided = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: new URLSearchParams({ formToken: formToken.replace(/&amp;/g, '&') }).toString(),
  });
  return decided.status;
}

describe('pipeline local with a data directory', () => {
  it(
    'when restarted while a release waits for approval, it shows the same and the link mailed before the restart approves it',
    async () => {
      // Prepare: a release runs until it waits for prod/eu-west-1
      const first = await startOn(dataDir);
      const url = await serve(first, 0);
      await first.putEvent(event('ecr-push-orders-api.json'));
      await runUntilSettled(first);
      await first.putEvent(event('git-tag-orders-api-v1.4.0.json'));
      const euMail = await mailFor(first, 'eu-west-1');
      const executionsBefore = await getJson(`${url}/api/executions`);
      const targetsBefore = ((await getJson(`${url}/api/state`)) as { targets: unknown }).targets;
      await close(first);

      // Act: a new stack on the same directory and port; the approver clicks the email from before
      const second = await startOn(dataDir);
      const secondUrl = await serve(second, Number(new URL(url).port));
      second.resume();
      const executionsAfter = await getJson(`${secondUrl}/api/executions`);
      const targetsAfter = ((await getJson(`${secondUrl}/api/state`)) as { targets: unknown }).targets;
      const status = await approve(euMail);
      await approve(await mailFor(second, 'us-east-1'));
      await approve(await mailFor(second, 'ap-southeast-2'));
      const [release] = (await second.engine.listExecutions({ stateMachineArn: RELEASE })).executions;
      await runUntilSettled(second);
      const finished = await second.engine.describeExecution({ executionArn: release!.executionArn });

      // Assess
      expect(secondUrl).toBe(url);
      expect(executionsAfter).toEqual(executionsBefore);
      expect(
        (executionsAfter as { executions: { status: string }[] }).executions.map((e) => e.status),
      ).toEqual(['RUNNING', 'SUCCEEDED']);
      expect(targetsAfter).toEqual(targetsBefore);
      expect(second.mailbox.list()[0]).toEqual(first.mailbox.list()[0]);
      expect(status).toBe(200);
      expect(finished.status).toBe('SUCCEEDED');
      for (const region of ['eu-west-1', 'us-east-1', 'ap-southeast-2'])
        expect(
          second.platform.serving({ region, cluster: 'prod', service: 'orders-api' })?.containers[0]
            ?.environment.PIPELINE_VERSION,
        ).toBe('v1.4.0');
      const history = (await second.engine.getExecutionHistory({ executionArn: release!.executionArn }))
        .events;
      expect(history.filter((e) => e.type.endsWith('Aborted'))).toEqual([]);
    },
    HANG_LIMIT_MS,
  );

  it(
    'when closed with nothing running, a new stack on the directory shows the same deployments and mail',
    async () => {
      // Prepare
      const first = await startOn(dataDir);
      await serve(first, 0);
      await first.putEvent(event('ecr-push-orders-api.json'));
      await runUntilSettled(first);
      const target = { region: 'eu-west-1', cluster: 'ppe', service: 'orders-api' };
      const served = first.platform.serving(target);
      await close(first);

      // Act
      const second = await startOn(dataDir);

      // Assess
      expect(second.platform.serving(target)).toEqual(served);
      expect(served?.containers[0]?.environment.PIPELINE_COMMIT).toBeDefined();
      const [push] = (await second.engine.listExecutions({})).executions;
      expect(push?.status).toBe('SUCCEEDED');
      expect(
        second.registry.tagsOf('eu-west-1', 'orders-api', served!.containers[0]!.image.split('@')[1]!),
      ).toEqual(
        first.registry.tagsOf('eu-west-1', 'orders-api', served!.containers[0]!.image.split('@')[1]!),
      );
    },
    HANG_LIMIT_MS,
  );

  it('when the directory is in use by another stack, the second start is refused and the first keeps it', async () => {
    // Prepare
    await startOn(dataDir);

    // Act
    const second = LocalPipeline.start({ config, dataDir });

    // Assess
    await expect(second).rejects.toThrow(DataDirError);
    await expect(second).rejects.toThrow(`data directory ${dataDir} is in use by another pipeline local`);
    expect(existsSync(join(dataDir, 'pipeline-local.lock'))).toBe(true);
  });

  it.each([
    [
      'not JSON',
      '{"format":',
      /state\.json is damaged \(not JSON: .*\): delete the directory or pick another --data-dir$/,
    ],
    [
      'from another format version',
      JSON.stringify({ format: 'pipeline-local-state', version: 2 }),
      /state\.json was written by another version of pipeline local \(state format 2, this one reads 1\): delete the directory or pick another --data-dir$/,
    ],
    [
      'something else',
      '{"name":"my-app"}',
      /state\.json is not a pipeline local state file: delete the directory/,
    ],
  ])(
    'when state.json is %s, the start fails with what, which file and how to fix it, and leaves the directory free',
    async (_what, content, message) => {
      // Prepare
      const first = await startOn(dataDir);
      await close(first);
      writeFileSync(join(dataDir, 'state.json'), content);

      // Act
      const start = LocalPipeline.start({ config, dataDir });

      // Assess
      await expect(start).rejects.toThrow(DataDirError);
      await expect(start).rejects.toThrow(message);
      expect(existsSync(join(dataDir, 'pipeline-local.lock'))).toBe(false);
      expect(readFileSync(join(dataDir, 'state.json'), 'utf8')).toBe(content); // nothing changed
    },
  );
});
