/**
 * `GET /api/shifts`: the stages' traffic shifts as the TrafficShiftLog has them, read through a real local
 * pipeline whose executions are read as the canary config plans them (orders-api's PPE carries a canary
 * plan), with the log in memory, seeded as the hook records it.
 */
import { request } from 'node:http';
import { ManualClock } from '../../shared/clock';
import { shiftsJson, type ApiShifts } from '../../local-runtime/local-api-shifts';
import { executionJson, postEvents, type LocalApiPipeline } from '../../local-runtime/local-api';
import type { ApiExecutionDetail } from '../../shared/operations/execution-view';
import { LocalHttpServer } from '../../local-runtime/local-http-server';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { loadEvent, sampleConfig } from '../support/fixtures';
import { canaryConfig, plannedAsCanary } from '../support/shift-config';
import { canaryPlan, failedAtFifty, InMemoryTrafficShiftLog, progressAfter } from '../support/shift-progress';

const PUSH = 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c';
const PPE = { environment: 'ppe', region: 'eu-west-1' };
const T0 = Date.UTC(2026, 10, 30, 10, 0, 0);

const post = (pipeline: LocalApiPipeline, file: string) =>
  postEvents(pipeline, 'application/json', Buffer.from(JSON.stringify(loadEvent(file))));

/** The pipeline as the API reads it, with the log the hook would have written. */
function withLog(pipeline: LocalPipeline, log?: InMemoryTrafficShiftLog): LocalApiPipeline {
  return {
    config: pipeline.config,
    clock: pipeline.clock,
    engine: plannedAsCanary(pipeline.engine),
    platform: pipeline.platform,
    putEvent: (event) => pipeline.putEvent(event),
    ...(log && { shiftLog: log }),
  };
}

/** How the execution's JSON says its PPE stage ended. */
async function ppeOutcome(api: LocalApiPipeline, name: string): Promise<string> {
  const detail = (await executionJson(api, name)).body as ApiExecutionDetail;
  const outcome = detail.stages.find((s) => s.environment === 'ppe')!.outcome;
  expect(outcome).not.toBe('in progress');
  return outcome;
}

async function shifts(api: LocalApiPipeline, query = ''): Promise<ApiShifts> {
  const answer = await shiftsJson(api, new URLSearchParams(query));
  if (answer.status !== 200)
    throw new Error(`expected 200, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as ApiShifts;
}

describe('GET /api/shifts against a local pipeline', () => {
  let pipeline: LocalPipeline;

  afterEach(async () => {
    await pipeline?.close({ abandon: true });
  });

  it('when a canary stage finished and the log has its progress, it answers the plan with the steps, windows, verdicts and cause', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: sampleConfig() });
    const log = new InMemoryTrafficShiftLog();
    const api = withLog(pipeline, log);
    await post(api, 'ecr-push-orders-api.json');
    await pipeline.settled();
    const progress = failedAtFifty(T0);
    await log.record({ executionName: PUSH, ...PPE }, progress);

    // Act
    const answer = await shifts(api);

    // Assess
    expect(answer.logged).toBe(true);
    expect(answer.shifts).toHaveLength(1);
    const [only] = answer.shifts;
    expect(only).toMatchObject({
      service: 'orders-api',
      ...PPE,
      execution: PUSH,
      version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      outcome: await ppeOutcome(api, PUSH),
    });
    expect(only!.shift).toMatchObject({
      strategy: 'canary',
      status: 'failed',
      greenPercent: 0,
      cause: progress.cause,
      maxExtensions: 3,
      keepBlueMinutes: 15,
    });
    expect(only!.shift.stepViews.map((s) => [s.percent, s.status, s.extensions])).toEqual([
      [5, 'passed', 0],
      [25, 'passed', 1],
      [50, 'failed', 0],
    ]);
    expect(only!.shift.windows).toEqual(progress.records);
  });

  it('when the stack keeps no log, the stage shows its plan with every step pending, and rolling executions are not read further', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config: sampleConfig() });
    const api = withLog(pipeline);
    await post(api, 'ecr-push-orders-api.json');
    await post(api, 'ecr-push-payments-api.json');
    await pipeline.settled();
    const historiesRead: string[] = [];
    const counted = {
      ...api,
      engine: {
        ...api.engine,
        getExecutionHistory: (input: { executionArn: string }) => {
          historiesRead.push(input.executionArn.split(':').pop()!);
          return api.engine.getExecutionHistory(input);
        },
      },
    };

    // Act
    const answer = await shifts(counted);

    // Assess
    expect(answer.logged).toBe(false);
    expect(
      answer.shifts.map((s) => [s.execution, s.shift.status, s.shift.stepViews.map((v) => v.status)]),
    ).toEqual([[PUSH, 'not started', ['pending', 'pending', 'pending']]]);
    // payments-api rolls: its execution's input says so, and its history is not read.
    expect(historiesRead).toEqual([PUSH]);
  });

  it('when two pushes went through a stage, it lists the newest only, and each with execution=', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({
      config: sampleConfig(),
      behaviours: { badc0ffee: { failsHealthCheck: true } },
    });
    const log = new InMemoryTrafficShiftLog();
    const api = withLog(pipeline, log);
    await post(api, 'ecr-push-orders-api.json');
    await pipeline.settled();
    await post(api, 'ecr-push-orders-api-broken.json');
    await pipeline.settled();
    const broken = (await pipeline.engine.listExecutions({})).executions.find((e) => e.name !== PUSH)!.name;
    await log.record(
      { executionName: PUSH, ...PPE },
      progressAfter(canaryPlan(), ['healthy', 'healthy', 'healthy'], T0),
    );
    await log.record({ executionName: broken, ...PPE }, failedAtFifty(T0 + 3_600_000));

    // Act
    const latest = await shifts(api);
    const older = await shifts(api, `execution=${PUSH}`);

    // Assess
    expect(latest.shifts.map((s) => [s.execution, s.outcome, s.shift.status])).toEqual([
      [broken, await ppeOutcome(api, broken), 'failed'],
    ]);
    expect(older.shifts.map((s) => [s.execution, s.outcome, s.shift.status, s.shift.greenPercent])).toEqual([
      [PUSH, await ppeOutcome(api, PUSH), 'shifted', 100],
    ]);
  });

  it('while a canary stage runs, it lists the running shift with green at its current step', async () => {
    // Prepare: time stands still, so the stage waits for its ECS deployment and stays in progress
    pipeline = await LocalPipeline.start({ config: sampleConfig(), clock: new ManualClock(T0) });
    const log = new InMemoryTrafficShiftLog();
    const api = withLog(pipeline, log);
    await post(api, 'ecr-push-orders-api.json');
    let answer = await shifts(api);
    for (let i = 0; i < 200 && answer.shifts[0]?.outcome !== 'in progress'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await shifts(api);
    }
    const before = answer.shifts.map((s) => [s.outcome, s.shift.status]);
    await log.record({ executionName: PUSH, ...PPE }, progressAfter(canaryPlan(), ['healthy'], T0));

    // Act
    answer = await shifts(api);

    // Assess
    expect(before).toEqual([['in progress', 'not started']]);
    expect(answer.now).toBe(new Date(T0).toISOString());
    expect(answer.shifts.map((s) => [s.execution, s.outcome, s.shift.status, s.shift.greenPercent])).toEqual([
      [PUSH, 'in progress', 'shifting', 25],
    ]);
  });
});

describe('GET /api/shifts with a bad query', () => {
  // The query is checked against the config before anything is read.
  const api = {
    config: canaryConfig(),
    clock: { now: () => T0 },
    engine: {
      listExecutions: async () => ({ executions: [] }),
      describeExecution: () => Promise.reject(new Error('not read')),
      getExecutionHistory: () => Promise.reject(new Error('not read')),
    },
    platform: { serving: () => undefined },
    putEvent: () => Promise.reject(new Error('not read')),
  } satisfies LocalApiPipeline;

  it.each([
    [
      'an unknown parameter',
      'servce=orders-api',
      'unknown query parameter "servce": use service, environment, region, execution',
    ],
    [
      'a parameter given twice',
      'service=orders-api&service=payments-api',
      'give service once, got it 2 times',
    ],
    [
      'an unknown service',
      'service=billing',
      'unknown service "billing": the configuration has orders-api, payments-api',
    ],
    [
      'an unknown environment',
      'environment=qa',
      'unknown environment "qa": the configuration has ppe, staging, prod',
    ],
    [
      'a region the environment does not have',
      'environment=ppe&region=us-east-1',
      'unknown region "us-east-1" for ppe: use one of eu-west-1',
    ],
    [
      'markup as an execution name',
      'execution=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      'execution must be an execution\'s name (1 to 80 letters, digits, - and _), got "<script>alert(1)</script>"',
    ],
    ['an execution name too long', `execution=${'a'.repeat(81)}`, `got "${'a'.repeat(59)}…"`],
  ])('when the query has %s, it answers 400 saying what to send', async (_, query, message) => {
    // Act
    const answer = await shiftsJson(api, new URLSearchParams(query));

    // Assess
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toContain(message);
  });

  it('when the execution does not exist, it answers 404', async () => {
    // Act
    const answer = await shiftsJson(api, new URLSearchParams('execution=release-orders-api-v9_9_9-deadbeef'));

    // Assess
    expect(answer).toEqual({
      status: 404,
      body: { error: 'no execution named "release-orders-api-v9_9_9-deadbeef" (see /api/executions)' },
    });
  });

  it('when hostile queries come over HTTP, each gets a 4xx with a JSON error, never a 500', async () => {
    // Prepare
    const server = await LocalHttpServer.start({
      approvalPage: () => Promise.reject(new Error('not used')),
      mailbox: undefined as never,
      clock: api.clock,
      track: (work) => work,
      api,
    });
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(server.url);
        const req = request({ host: '127.0.0.1', port: url.port, path, method: 'GET', headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        });
        req.on('error', reject);
        req.end();
      });

    try {
      // Act
      const answers = await Promise.all([
        get('/api/shifts?execution=%E0%A4%A'),
        get('/api/shifts?service=%00'),
        get(`/api/shifts?${'x='.repeat(2000)}`),
        get('/api/shifts?region=../../etc/passwd'),
        get('/api/shifts', { host: 'evil.example' }),
      ]);
      const fine = await get('/api/shifts');

      // Assess
      expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 421]);
      for (const answer of answers) expect(JSON.parse(answer.body)).toEqual({ error: expect.any(String) });
      expect(fine.status).toBe(200);
      expect(JSON.parse(fine.body)).toEqual({ now: new Date(T0).toISOString(), logged: false, shifts: [] });
    } finally {
      await server.close();
    }
  });
});
