import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../shared/clock';
import { loadConfigFile } from '../../shared/config/config.loader';
import {
  ApiInputError,
  executionJson,
  listExecutionsJson,
  MAX_EVENTS_BODY_BYTES,
  metricsJson,
  parseEventsBody,
  postEvents,
  stateJson,
  type ApiTarget,
  type LocalApiPipeline,
} from '../../local-runtime/local-api';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import type { ApiExecutionDetail, ApiExecutionSummary } from '../../shared/operations/execution-view';
import { InMemoryDeploymentRecords } from '../support/fakes';

const ROOT = join(__dirname, '..', '..');
const config = loadConfigFile(join(ROOT, 'pipeline.config.yml'));
const eventText = (name: string) => readFileSync(join(ROOT, 'events', name), 'utf8');
const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const JSON_TYPE = 'application/json';
const defaults = { now: Date.UTC(2026, 10, 20, 9, 0, 0), region: 'eu-west-1' };
const PUSH_ARN =
  'arn:aws:states:local:000000000000:execution:promote:push-orders-api-4b825dc642cb-3f7a9c3f7a9c';

function inputError(run: () => unknown): ApiInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiInputError) return error;
    throw error;
  }
  throw new Error('expected an ApiInputError');
}

function target(state: { targets: ApiTarget[] }, service: string, environment: string, region: string) {
  const found = state.targets.find(
    (t) => t.service === service && t.environment === environment && t.region === region,
  );
  if (!found) throw new Error(`no target ${service} ${environment} ${region}`);
  return found;
}

describe('parseEventsBody (POST /events)', () => {
  it('when the body is one EventBridge envelope, it returns it unchanged', () => {
    // Act
    const events = parseEventsBody(JSON_TYPE, body(eventText('ecr-push-orders-api.json')), defaults);

    // Assess
    expect(events).toEqual([JSON.parse(eventText('ecr-push-orders-api.json'))]);
  });

  it("when the content type is curl's default for --data, it still reads the body as JSON", () => {
    // Act
    const events = parseEventsBody(
      'application/x-www-form-urlencoded',
      body(eventText('ecr-push-orders-api.json')),
      defaults,
    );

    // Assess
    expect(events).toHaveLength(1);
  });

  it('when the body holds PutEvents entries, it fills id, time, account and region and parses Detail', () => {
    // Prepare
    const detail = { result: 'SUCCESS', 'action-type': 'PUSH', 'repository-name': 'orders-api' };
    const envelope = JSON.parse(eventText('git-tag-orders-api-v1.4.0.json'));

    // Act
    const events = parseEventsBody(
      'application/json; charset=utf-8',
      body({
        Entries: [
          { Source: 'aws.ecr', DetailType: 'ECR Image Action', Detail: JSON.stringify(detail) },
          envelope,
        ],
      }),
      defaults,
    );

    // Assess
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      version: '0',
      source: 'aws.ecr',
      'detail-type': 'ECR Image Action',
      account: '000000000000',
      region: 'eu-west-1',
      time: '2026-11-20T09:00:00Z',
      resources: [],
      detail,
    });
    expect((events[0] as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[1]).toEqual(envelope);
  });

  it.each([
    ['the body is not JSON', JSON_TYPE, body('{"id": '), 400, /not valid JSON/],
    ['the body is empty', JSON_TYPE, body(''), 400, /empty body/],
    ['the body is an array', JSON_TYPE, body([1]), 400, /must be a JSON object/],
    [
      'the content type is text/plain',
      'text/plain',
      body('{}'),
      415,
      /content-type must be application\/json/,
    ],
    ['there is no content type', undefined, body('{}'), 415, /got none/],
    [
      'the body is larger than 256 KiB',
      JSON_TYPE,
      Buffer.alloc(MAX_EVENTS_BODY_BYTES + 1, 0x20),
      413,
      /at most 262144/,
    ],
    [
      'the object is not an envelope',
      JSON_TYPE,
      body({ ...JSON.parse(eventText('ecr-push-orders-api.json')), account: 'me' }),
      400,
      /event is not an EventBridge event: account: must be a 12-digit AWS account id/,
    ],
    [
      'the object is a GitHub webhook delivery as API Gateway passes it',
      JSON_TYPE,
      body(JSON.parse(eventText('github-push-tag-created.json'))),
      400,
      /event is not an EventBridge event: .*\(this is an HTTP request as API Gateway passes it, such as a GitHub webhook delivery: POST its body, signed, to \/webhooks\/github of pipeline local; docs\/git-tags.md\)$/,
    ],
    ['Entries is empty', JSON_TYPE, body({ Entries: [] }), 400, /Entries must be an array of 1 to 10/],
    [
      'an entry has no DetailType',
      JSON_TYPE,
      body({ Entries: [{ Source: 'aws.ecr', Detail: '{}' }] }),
      400,
      /Entries\[0\]\.DetailType must be a non-empty string/,
    ],
    [
      "an entry's Detail is not JSON",
      JSON_TYPE,
      body({ Entries: [{ Source: 'aws.ecr', DetailType: 'x', Detail: '{nope' }] }),
      400,
      /Entries\[0\]\.Detail must be a JSON object in a string/,
    ],
    [
      'an entry is an incomplete envelope',
      JSON_TYPE,
      body({ Entries: [{ source: 'aws.ecr' }] }),
      400,
      /Entries\[0\] is not an EventBridge event: id/,
    ],
  ])('when %s, it refuses with %s and says what is wrong', (_, type, payload, status, message) => {
    // Act
    const error = inputError(() => parseEventsBody(type, payload as Buffer, defaults));

    // Assess
    expect(error.status).toBe(status);
    expect(error.message).toMatch(message as RegExp);
  });
});

describe('postEvents with a stub pipeline', () => {
  const stub = (deliveries: unknown[]): LocalApiPipeline => ({
    config,
    clock: { now: () => defaults.now },
    engine: {
      listExecutions: async () => ({ executions: [] }),
      describeExecution: async () => {
        throw new Error('unused');
      },
      getExecutionHistory: async () => ({ events: [] }),
    },
    platform: { serving: () => undefined },
    putEvent: async () => ({ deliveries }) as never,
  });

  it('when a rule target throws, the event is reported ignored with the reason, not as a server error', async () => {
    // Act
    const result = await postEvents(
      stub([{ rule: 'startPromotion', error: { name: 'MalformedEvent', message: 'bad digest' } }]),
      JSON_TYPE,
      body(eventText('ecr-push-orders-api.json')),
    );

    // Assess
    expect(result).toEqual({
      status: 200,
      body: { results: [{ started: [], ignored: 'startPromotion rejected it: bad digest' }] },
    });
  });

  it('when the body is bad, it answers the 4xx without delivering anything', async () => {
    // Prepare
    const pipeline = stub([]);
    const putEvent = jest.spyOn(pipeline, 'putEvent');

    // Act
    const result = await postEvents(pipeline, JSON_TYPE, body('nope'));

    // Assess
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: expect.stringContaining('not valid JSON') });
    expect(putEvent).not.toHaveBeenCalled();
  });
});

describe('the local API against a local pipeline', () => {
  let pipeline: LocalPipeline;

  afterEach(async () => {
    await pipeline?.close({ abandon: true });
  });

  it('when a push is posted, it starts the promotion and the executions JSON describes it', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config });

    // Act
    const posted = await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api.json')));
    await pipeline.settled();
    const again = await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api.json')));
    const list = await listExecutionsJson(pipeline);
    const one = await executionJson(pipeline, 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c');
    const missing = await executionJson(pipeline, 'no-such-execution');

    // Assess
    expect(posted).toEqual({ status: 200, body: { results: [{ started: [PUSH_ARN] }] } });
    expect(again.body).toEqual({
      results: [{ started: [], ignored: expect.stringContaining('duplicate delivery') }],
    });
    const executions = (list.body as { executions: ApiExecutionSummary[] }).executions;
    expect(executions).toEqual([
      {
        stateMachine: 'promote',
        name: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
        status: 'SUCCEEDED',
        startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        stopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        transitions: 13,
        service: 'orders-api',
        version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        currentStage: { environment: 'ppe', region: 'eu-west-1', state: 'Stage deployed' },
        stages: [{ environment: 'ppe', region: 'eu-west-1', outcome: 'deployed' }],
      },
    ]);
    const detail = one.body as ApiExecutionDetail;
    expect(one.status).toBe(200);
    expect(detail).toMatchObject({
      executionArn: PUSH_ARN,
      commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      digest: 'sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a',
      error: null,
      cause: null,
      deployments: [
        {
          service: 'orders-api',
          environment: 'ppe',
          region: 'eu-west-1',
          digest: 'sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a',
          outcome: 'deployed',
        },
      ],
    });
    const bake = detail.detailedStages[0]!.states.find((s) => s.state === 'Bake');
    expect(bake).toMatchObject({ type: 'Task', durationMs: 5 * 60_000 });
    expect(bake).not.toHaveProperty('error'); // a quiet bake ends by its timeout: not a failure
    expect(missing).toEqual({ status: 404, body: { error: 'no execution named "no-such-execution"' } });
  });

  it('when a push has deployed and a release went through with the approve policy, the grid shows what serves where', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config, approvals: 'approve' });

    // Act
    await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api.json')));
    await pipeline.settled();
    const afterPush = (await stateJson(pipeline)).body as { targets: ApiTarget[] };
    await postEvents(pipeline, JSON_TYPE, body(eventText('git-tag-orders-api-v1.4.0.json')));
    await pipeline.settled();
    const afterRelease = (await stateJson(pipeline)).body as {
      services: string[];
      environments: unknown[];
      targets: ApiTarget[];
    };

    // Assess
    expect(target(afterPush, 'orders-api', 'ppe', 'eu-west-1')).toEqual({
      service: 'orders-api',
      environment: 'ppe',
      region: 'eu-west-1',
      cluster: 'ppe',
      serving: {
        version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        digest: 'sha256:3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a9c3f7a',
        execution: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
      },
      inProgress: null,
      last: {
        execution: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
        version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        outcome: 'deployed',
      },
    });
    expect(target(afterPush, 'orders-api', 'prod', 'eu-west-1')).toMatchObject({
      serving: { version: null, commit: null, digest: null },
      last: null,
    });
    expect(afterRelease.services).toEqual(['orders-api', 'payments-api']);
    expect(afterRelease.targets).toHaveLength(10);
    for (const [environment, region] of [
      ['staging', 'eu-west-1'],
      ['prod', 'eu-west-1'],
      ['prod', 'us-east-1'],
      ['prod', 'ap-southeast-2'],
    ])
      expect(target(afterRelease, 'orders-api', environment!, region!)).toMatchObject({
        serving: { version: 'v1.4.0', commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' },
        inProgress: null,
        last: { execution: 'release-orders-api-v1_4_0-4b825dc6', outcome: 'deployed' },
      });
    expect(target(afterRelease, 'payments-api', 'ppe', 'eu-west-1').serving.version).toBeNull();
  });

  it('when a broken build is rolled back, the grid says so and the old version still serves', async () => {
    // Prepare
    pipeline = await LocalPipeline.start({ config, behaviours: { badc0ffee: { failsHealthCheck: true } } });
    await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api.json')));
    await pipeline.settled();

    // Act
    await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api-broken.json')));
    await pipeline.settled();
    const state = (await stateJson(pipeline)).body as { targets: ApiTarget[] };
    const list = (await listExecutionsJson(pipeline)).body as { executions: ApiExecutionSummary[] };
    const broken = list.executions[0]!;
    const detail = (await executionJson(pipeline, broken.name)).body as ApiExecutionDetail;

    // Assess
    expect(target(state, 'orders-api', 'ppe', 'eu-west-1')).toMatchObject({
      serving: { commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' },
      last: { execution: broken.name, outcome: 'rolled back' },
    });
    expect(detail.status).toBe('FAILED');
    expect(detail.cause).toContain('rolled back');
    expect(detail.cause).not.toMatch(/^\{/);
  });

  it('while a promotion waits for its ECS deployment, the grid shows it deploying there', async () => {
    // Prepare: time stands still, so the deployment never finishes
    pipeline = await LocalPipeline.start({ config, clock: new ManualClock() });

    // Act
    await postEvents(pipeline, JSON_TYPE, body(eventText('ecr-push-orders-api.json')));
    let here: ApiTarget | undefined;
    for (let i = 0; i < 200 && here?.inProgress?.state !== 'Wait for ECS deployment'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      here = target(
        (await stateJson(pipeline)).body as { targets: ApiTarget[] },
        'orders-api',
        'ppe',
        'eu-west-1',
      );
    }
    const list = (await listExecutionsJson(pipeline)).body as { executions: ApiExecutionSummary[] };

    // Assess
    expect(here?.inProgress).toEqual({
      execution: 'push-orders-api-4b825dc642cb-3f7a9c3f7a9c',
      version: 'sha-4b825dc642cb6eb9a060e54bf8d69288fbee4904',
      state: 'Wait for ECS deployment',
      activity: 'deploying',
    });
    expect(list.executions[0]).toMatchObject({
      status: 'RUNNING',
      stopDate: null,
      currentStage: { environment: 'ppe', region: 'eu-west-1', state: 'Wait for ECS deployment' },
      stages: [{ environment: 'ppe', region: 'eu-west-1', outcome: 'in progress' }],
    });
  });
});

describe('metricsJson with records in memory', () => {
  const T0 = Date.parse('2026-11-02T00:00:00Z');
  const MIN = 60_000;
  const stub = (records?: InMemoryDeploymentRecords): LocalApiPipeline => ({
    config,
    clock: { now: () => T0 + 12 * 60 * MIN },
    engine: {
      listExecutions: async () => ({ executions: [] }),
      describeExecution: async () => {
        throw new Error('unused');
      },
      getExecutionHistory: async () => ({ events: [] }),
    },
    platform: { serving: () => undefined },
    putEvent: async () => ({ deliveries: [] }) as never,
    ...(records && { records }),
  });

  it('when a push deployed PPE 10 minutes after it was pushed, the answer counts it with a 10-minute lead time', async () => {
    // Prepare
    const records = new InMemoryDeploymentRecords();
    await records.put({
      service: 'orders-api',
      environment: 'ppe',
      region: 'eu-west-1',
      execution: 'push-orders-api-1',
      version: 'sha-1111111',
      commit: '1111111',
      digest: `sha256:${'1'.repeat(64)}`,
      kind: 'deploy',
      triggeredBy: 'test',
      outcome: 'deployed',
      triggeredAt: new Date(T0 + 60 * MIN).toISOString(),
      startedAt: T0 + 62 * MIN,
      at: T0 + 70 * MIN,
    });

    // Act
    const result = await metricsJson(
      stub(records),
      new URLSearchParams('service=orders-api&environment=ppe&since=2026-11-01'),
    );

    // Assess
    expect(result.status).toBe(200);
    const body = result.body as {
      since: string;
      until: string;
      metrics: {
        deployments: { successful: number; byDay: { day: string; count: number }[] };
        leadTime: { median: number; samples: { leadTimeMs: number; from: string }[] };
      }[];
    };
    expect(body.since).toBe('2026-11-01T00:00:00Z');
    expect(body.until).toBe('2026-11-02T12:00:00Z');
    expect(body.metrics).toHaveLength(1);
    expect(body.metrics[0]!.deployments.successful).toBe(1);
    expect(body.metrics[0]!.deployments.byDay).toEqual([
      { day: '2026-11-01', count: 0 },
      { day: '2026-11-02', count: 1 },
    ]);
    expect(body.metrics[0]!.leadTime.median).toBe(10 * MIN);
    expect(body.metrics[0]!.leadTime.samples.map((s) => [s.leadTimeMs, s.from])).toEqual([
      [10 * MIN, 'push'],
    ]);
  });

  it('when the pipeline keeps no records, it answers 404 saying so', async () => {
    // Act
    const result = await metricsJson(stub(), new URLSearchParams());

    // Assess
    expect(result).toEqual({ status: 404, body: { error: 'this local stack keeps no deployment records' } });
  });
});
