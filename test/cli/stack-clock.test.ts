import { ScaledClock } from '../../shared/clock';
import { requestApproval } from '../../shared/approvals/request-approval';
import { approvalRequest } from '../shared/approvals/approval-fixtures';
import { serveLocalPipeline, type LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { runCli } from '../support/cli';
import { sampleConfig } from '../support/fixtures';

/**
 * One clock per local stack: what the operator CLI writes against `--local` is stamped with the stack's
 * time, which runs 600 times faster than the wall clock and, after a restart, goes on from where it stopped
 * (here: 30 days ahead of the wall clock, as a stack restarted on a month-old data directory would be).
 */
const AHEAD_MS = 30 * 24 * 3_600_000;
const HOUR = 3_600_000;
const APPROVER = 'release-manager@example.com';

let pipeline: LocalPipeline;
let http: LocalHttpServer;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({
    config: sampleConfig(),
    clock: new ScaledClock(600, Date.now() + AHEAD_MS),
  });
  http = await serveLocalPipeline(pipeline, 0);
});

afterAll(async () => {
  await pipeline.close({ abandon: true });
  await http.close();
});

const cli = (...args: string[]) => runCli(...args, '--local', '--url', http.url);

describe('the local stack’s clock', () => {
  it('when asked over its API, it tells its time and how fast it runs', async () => {
    // Act
    const response = await fetch(`${http.url}/api/clock`);
    const body = (await response.json()) as { now: number; iso: string; timeScale: number };

    // Assess
    expect(response.status).toBe(200);
    expect(body.timeScale).toBe(600);
    expect(body.now).toBeGreaterThan(Date.now() + AHEAD_MS - HOUR);
    expect(body.iso).toBe(new Date(body.now).toISOString());
  });

  it('when an operator freezes for 2 hours, the freeze starts and ends on the stack’s time and holds deployments', async () => {
    // Act
    const before = pipeline.clock.now();
    const { code, out } = await cli('freeze', 'ppe', '--reason', 'incident 4711', '--for', '2');
    const after = pipeline.clock.now();

    // Assess
    expect(code).toBe(0);
    const freeze = await pipeline.freezes.current('ppe', pipeline.clock.now());
    expect(freeze).toBeDefined();
    expect(freeze!.at).toBeGreaterThanOrEqual(before);
    expect(freeze!.at).toBeLessThanOrEqual(after);
    expect(freeze!.until).toBe(freeze!.at + 2 * HOUR);
    expect(out).toContain(`until ${new Date(freeze!.until!).toISOString()}`);
    const status = await cli('status', 'orders-api', '--json');
    expect((JSON.parse(status.out) as { frozen: { environment: string }[] }).frozen).toEqual([
      expect.objectContaining({ environment: 'ppe' }),
    ]);
  });

  it('when an operator approves, the decision is recorded at the stack’s time, inside the approval’s window', async () => {
    // Prepare: an approval the stack asked for a minute ago (of its time), valid for a day
    const id = 'StackClockApproval0001';
    await requestApproval(
      approvalRequest({ environment: 'prod', approvers: [APPROVER], timeoutSeconds: 24 * 3600 }),
      {
        store: pipeline.approvalStore,
        notifier: { notify: async () => {} },
        clock: pipeline.clock,
        newId: () => id,
      },
    );
    const before = pipeline.clock.now();

    // Act
    const { out } = await cli('approve', id, '--as', APPROVER);

    // Assess: counted (not "expired", not before the request), at the stack's time
    expect(out).toMatch(/^Recorded, but the execution no longer waits/);
    const [decision] = (await pipeline.approvalStore.get(id))!.decisions;
    expect(decision!.at).toBeGreaterThanOrEqual(before);
    expect(decision!.at).toBeLessThanOrEqual(pipeline.clock.now());
  });

  it('when the stack does not answer, the command exits 3 and says to start it', async () => {
    // Act
    const { code, err } = await runCli('status', '--local', '--url', 'http://127.0.0.1:9');

    // Assess
    expect(code).toBe(3);
    expect(err).toContain('start it with `pipeline local`');
  });
});
