/**
 * `pipeline show --local` on an execution whose PPE stage shifts traffic (a canary): the stage's schedule,
 * each judged window and the cause of the switch back, read from the local stack's `GET /api/shifts` (the
 * executions read as the canary config plans them, the log in memory, seeded as the hook records it).
 */
import type { LocalApiPipeline } from '../../local-runtime/local-api';
import { LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { runCli } from '../support/cli';
import { loadEvent, sampleConfig } from '../support/fixtures';
import { plannedAsCanary } from '../support/shift-config';
import { failedAtFifty, InMemoryTrafficShiftLog } from '../support/shift-progress';

const PUSH = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);
const progress = failedAtFifty(T0);

let pipeline: LocalPipeline;
let server: LocalHttpServer;
let paymentsExecution: string;

beforeAll(async () => {
  pipeline = await LocalPipeline.start({ config: sampleConfig() });
  const log = new InMemoryTrafficShiftLog();
  const api: LocalApiPipeline = {
    config: pipeline.config,
    clock: pipeline.clock,
    engine: plannedAsCanary(pipeline.engine),
    platform: pipeline.platform,
    putEvent: (event) => pipeline.putEvent(event),
    shiftLog: log,
  };
  server = await LocalHttpServer.start({ ...pipeline.httpRoutes(), api });
  pipeline.servedAt(server.url);
  await pipeline.putEvent(loadEvent('ecr-push-orders-api.json'));
  await pipeline.putEvent(loadEvent('ecr-push-payments-api.json'));
  await pipeline.settled();
  paymentsExecution = (await pipeline.engine.listExecutions({})).executions.find(
    (e) => e.name !== PUSH,
  )!.name;
  await log.record({ executionName: PUSH, environment: 'ppe', region: 'eu-west-1' }, progress);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await pipeline?.close({ abandon: true });
});

const cli = (...args: string[]) => runCli(...args, '--local', '--url', server.url);

describe('pipeline show with a traffic shift', () => {
  it('when the PPE canary was switched back at 50%, it prints the schedule, every window and the cause under the stage', async () => {
    // Act
    const { code, out } = await cli('show', PUSH);

    // Assess
    expect(code).toBe(0);
    const lines = out.split('\n');
    const stage = lines.findIndex((l) => l.startsWith('ppe/eu-west-1: '));
    const traffic = lines.findIndex((l) => l.startsWith('  traffic: '));
    expect(stage).toBeGreaterThan(-1);
    expect(traffic).toBeGreaterThan(stage);
    expect(lines.slice(traffic, traffic + 3)).toEqual([
      '  traffic: canary 5% 10 min → 25% 10 min → 50% 10 min → 100%; up to 3 extensions a step, at most 2 h; blue kept 15 min',
      '  shift: failed at 50%: switched back to blue',
      expect.stringMatching(/^ {4}STEP +WINDOW +BLUE +GREEN +VERDICT$/),
    ]);
    expect(lines.slice(traffic + 3, traffic + 7).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      '5%',
      '25%',
      '25% +1',
      '50%',
    ]);
    expect(lines[traffic + 6]).toContain('fail: p95 412 ms vs baseline 180 ms (2.3×) at 50% after 10 min');
    expect(lines[traffic + 7]).toBe(`  cause: ${progress.cause}`);
  }, 60_000);

  it('when asked for JSON, the stage carries its shift: steps with their windows, status and cause', async () => {
    // Act
    const { code, out } = await cli('show', PUSH, '--json');

    // Assess
    expect(code).toBe(0);
    const body = JSON.parse(out) as {
      stages: {
        environment: string;
        shift?: { status: string; cause: string; stepViews: { status: string }[] };
      }[];
    };
    const ppe = body.stages.find((s) => s.environment === 'ppe')!;
    expect(ppe.shift).toMatchObject({
      strategy: 'canary',
      status: 'failed',
      cause: progress.cause,
      greenPercent: 0,
    });
    expect(ppe.shift!.stepViews.map((s) => s.status)).toEqual(['passed', 'passed', 'failed']);
  }, 60_000);

  it('when the stages roll, it prints no traffic shift', async () => {
    // Act
    const human = await cli('show', paymentsExecution);
    const machine = JSON.parse((await cli('show', paymentsExecution, '--json')).out) as {
      stages: Record<string, unknown>[];
    };

    // Assess
    expect(human.code).toBe(0);
    expect(human.out).not.toContain('traffic:');
    expect(machine.stages.every((s) => !('shift' in s))).toBe(true);
  }, 60_000);
});
