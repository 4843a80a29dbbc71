import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { usePropertySeed } from '../helpers/property-seed';
import { createApprovalPage, type PageResponse } from '../../functions/approval-page/handler';
import { createSettleDeployment } from '../../functions/settle-deployment/handler';
import { createStartPromotion } from '../../functions/start-promotion/handler';
import { createStartRelease } from '../../functions/start-release/handler';
import { postEvents } from '../../local-runtime/local-api';
import { LocalPipeline } from '../../local-runtime/local-pipeline';
import { linkExpiry, StaticSigningKeySource } from '../../shared/approvals/links/signing';
import { requestApproval } from '../../shared/approvals/request-approval';
import { DynamoApprovalStore } from '../../shared/aws/approval-store.adapter';
import { createPipelineTable } from '../../shared/aws/pipeline-table';
import { ManualClock } from '../../shared/clock';
import { ConfigError } from '../../shared/config/config-error';
import { loadConfigFile, parseConfig } from '../../shared/config/config.loader';
import { logger } from '../../shared/middleware/lambda-step';
import { ALICE, approvalRequest } from '../shared/approvals/approval-fixtures';
import { RecordingNotifier } from '../shared/approvals/in-memory-approval-store';
import { BASE_URL, KEY, START, linkQuery, pageEvent } from '../shared/approvals/links/approval-page-requests';
import { startDynalite, type LocalDynamo } from '../shared/aws/dynalite';
import {
  InMemoryDeploymentRecords,
  InMemoryDeploymentWaiterStore,
  RecordingExecutionControl,
  invokeThroughMiddleware,
} from '../support/fakes';
import { reportReliability } from './summary';
import { HANG_LIMIT_MS } from '../helpers/hang-limit';

// The outcome does not depend on the machine's speed (see hang-limit.ts): the limit only stops a hang.
jest.setTimeout(HANG_LIMIT_MS);

/**
 * Generated hostile input at every public entry point: the Lambdas EventBridge invokes, the local
 * `POST /events`, the approval pages and the config loader (the GitHub webhook has its own property test,
 * test/functions/receive-github-webhook.property.test.ts). Whatever arrives: no 5xx and no crash for a
 * client mistake, no unhandled rejection, nothing started or changed, and every refusal says what is wrong.
 * Seeded: a failure replays.
 */

const ROOT = join(__dirname, '..', '..');
const CONFIG_FILE = join(ROOT, 'pipeline.config.yml');
const config = loadConfigFile(CONFIG_FILE);
const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'events', name), 'utf8')) as Record<string, unknown>;
const SEED = usePropertySeed(20260302);
/** Errors the ingress Lambdas may reject bad events with: named, each with a message that says what. */
const CLIENT_ERRORS = new Set(['MalformedEvent', 'InvalidStepInput']);

const hostileString = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '<script>alert(1)</script>',
    '\u0000\r\nX-Injected: 1',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '\ud800',
    '__proto__',
    'constructor',
    'sha-',
    'sha256:',
    'v1.2',
    'v01.2.3',
    'refs/tags/v1.4.0',
  ),
  fc.nat({ max: 70_000 }).map((n) => 'A'.repeat(n)),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, Number.NaN, [], {}, [null], {
    __proto__: { polluted: 1 },
  }),
  fc.jsonValue({ maxDepth: 3 }),
);

const wrongType: fc.Arbitrary<unknown> = fc.constantFrom(null, true, 0, -1, [], {}, [null], ['a'], { a: 1 });

/** A sample event with one relevant field removed or replaced by something hostile (never still valid). */
function mutatedEvent(base: Record<string, unknown>, relevantDetail: string[]): fc.Arbitrary<unknown> {
  const envelope = ['id', 'detail-type', 'source', 'account', 'time', 'region', 'detail'];
  return fc
    .oneof(
      { arbitrary: hostileValue, weight: 1 },
      {
        // Any string is a valid id, source or region: the envelope's fields get values of the wrong type.
        arbitrary: fc.record({
          field: fc.constantFrom(...envelope),
          value: wrongType,
          drop: fc.boolean(),
        }),
        weight: 3,
      },
      {
        arbitrary: fc.record({
          detailField: fc.constantFrom(...relevantDetail),
          value: hostileValue,
          drop: fc.boolean(),
        }),
        weight: 4,
      },
    )
    .map((m) => {
      if (typeof m !== 'object' || m === null || !('drop' in m)) return m;
      const event = structuredClone(base);
      const mutation = m as { field?: string; detailField?: string; value: unknown; drop: boolean };
      const target = mutation.detailField ? (event.detail as Record<string, unknown>) : event;
      const key = (mutation.detailField ?? mutation.field)!;
      if (mutation.drop) delete target[key];
      else target[key] = mutation.value;
      return event;
    });
}

/** Whether a mutation happened to leave an accepted value (a hostile string equal to the original, say). */
function unchanged(event: unknown, base: Record<string, unknown>): boolean {
  return JSON.stringify(event) === JSON.stringify(base);
}

describe('reliability: hostile input at every entry point', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    for (const level of ['debug', 'info', 'warn', 'error'] as const)
      jest.spyOn(logger, level).mockImplementation(() => undefined);
  });

  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    jest.restoreAllMocks();
  });

  afterEach(async () => {
    // Give stray promises a turn to reject before counting.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  it('when the EventBridge-invoked Lambdas get malformed events, they refuse each with a named, readable error and start nothing', async () => {
    // Prepare
    const executions = new RecordingExecutionControl();
    const waiters = new InMemoryDeploymentWaiterStore();
    const clock = new ManualClock(START);
    const targets: {
      name: string;
      base: Record<string, unknown>;
      relevant: string[];
      step: (event: unknown) => Promise<unknown>;
    }[] = [
      {
        name: 'start-promotion',
        base: sample('ecr-push-orders-api.json'),
        relevant: ['result', 'repository-name', 'image-digest', 'action-type', 'image-tag'],
        step: createStartPromotion({
          config,
          executions,
          promoteStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:promote',
        }),
      },
      {
        name: 'start-release',
        base: sample('git-tag-orders-api-v1.4.0.json'),
        relevant: ['repository', 'tag', 'commit'],
        step: createStartRelease({
          config,
          executions,
          releaseStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:release',
        }),
      },
      {
        name: 'settle-deployment',
        base: sample('ecs-deployment-completed.json'),
        relevant: ['eventName', 'deploymentId'],
        step: createSettleDeployment({
          platform: undefined as never, // never reached: the event settles through the waiter store
          waiters,
          executions,
          clock,
        }),
      },
    ];
    const counts: Record<string, { cases: number; refused: number; ignored: number }> = {};
    const unclear: string[] = [];
    const samples = fc.sample(
      fc
        .nat({ max: targets.length - 1 })
        .chain((i) => mutatedEvent(targets[i]!.base, targets[i]!.relevant).map((event) => ({ i, event }))),
      { numRuns: 1_500, seed: SEED },
    );
    // A waiter for the sample deployment: a mutated event must not settle it.
    await waiters.put({
      deploymentId: 'ecs-svc/0000000000000000042',
      taskToken: 'token-of-a-waiting-deploy',
      target: { cluster: 'ppe', service: 'orders-api', region: 'eu-west-1' } as never,
      expiresAt: START + 3600_000,
    });

    // Act
    for (const { i, event } of samples) {
      const target = targets[i]!;
      if (unchanged(event, target.base)) continue;
      const tally = (counts[target.name] ??= { cases: 0, refused: 0, ignored: 0 });
      tally.cases++;
      try {
        const result = (await invokeThroughMiddleware(target.name, target.step, event)) as Record<
          string,
          unknown
        >;
        tally.ignored++;
        const reason = result.reason;
        if (result.started !== false && result.outcome !== 'pending' && result.outcome !== 'unknown')
          unclear.push(`${target.name} accepted ${JSON.stringify(event).slice(0, 200)}`);
        else if (typeof reason !== 'string' || reason.length === 0)
          unclear.push(`${target.name} ignored without a reason: ${JSON.stringify(result)}`);
      } catch (error) {
        tally.refused++;
        if (!(error instanceof Error) || !CLIENT_ERRORS.has(error.name) || error.message.length < 10)
          unclear.push(`${target.name} threw ${String(error)} for ${JSON.stringify(event).slice(0, 200)}`);
      }
    }

    // Assess
    reportReliability('hostile-input-event-lambdas', {
      threw: Object.fromEntries(
        Object.entries(counts).map(([name, c]) => [`${name} malformed events`, c.cases]),
      ),
      held: {
        ...Object.fromEntries(
          Object.entries(counts).flatMap(([name, c]) => [
            [`${name} refused (named error)`, c.refused],
            [`${name} ignored with a reason`, c.ignored],
          ]),
        ),
        'executions started': executions.started.length,
        'task tokens answered': executions.deliveries.length,
        'unclear or accepted': unclear.length,
      },
    });
    expect(unclear).toEqual([]);
    expect(executions.started).toEqual([]);
    expect(executions.deliveries).toEqual([]);
    expect(await waiters.get('ecs-svc/0000000000000000042')).toBeDefined();
    for (const name of ['start-promotion', 'start-release', 'settle-deployment'])
      expect(counts[name]?.refused).toBeGreaterThan(0);
  });

  it('when POST /events gets hostile bodies, it answers 200 or a 4xx with an error, never throws, and starts nothing', async () => {
    // Prepare
    const pipeline = await LocalPipeline.start({ config });
    const base = sample('ecr-push-orders-api.json');
    const relevant = ['result', 'repository-name', 'image-digest', 'action-type', 'image-tag'];
    const body = fc.oneof(
      { arbitrary: mutatedEvent(base, relevant).map((e) => JSON.stringify(e) ?? 'undefined'), weight: 4 },
      {
        arbitrary: fc
          .array(
            fc.oneof(
              mutatedEvent(base, relevant),
              fc.record({
                Source: hostileValue,
                DetailType: hostileValue,
                Detail: fc.oneof(
                  hostileString,
                  fc.jsonValue().map((v) => JSON.stringify(v)),
                ),
              }),
            ),
            { maxLength: 12 },
          )
          .map((entries) => JSON.stringify({ Entries: entries })),
        weight: 2,
      },
      { arbitrary: hostileString, weight: 1 },
      {
        arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
        weight: 1,
      },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      undefined,
      'application/json\r\nX: y',
    );
    const statuses: Record<string, number> = {};
    const problems: string[] = [];

    // Act
    try {
      for (const [text, type] of fc.sample(fc.tuple(body, contentType), { numRuns: 400, seed: SEED })) {
        let status: string;
        try {
          const result = await postEvents(pipeline, type, Buffer.from(text, 'latin1'));
          status = String(result.status);
          const answer = result.body as {
            error?: unknown;
            results?: { started: string[]; ignored?: string }[];
          };
          if (result.status >= 500) problems.push(`${result.status} for ${text.slice(0, 200)}`);
          if (result.status >= 400 && (typeof answer.error !== 'string' || answer.error.length < 10))
            problems.push(`${result.status} without a readable error for ${text.slice(0, 200)}`);
          for (const r of answer.results ?? [])
            if (r.started.length === 0 && !r.ignored)
              problems.push(`no reason given for ${text.slice(0, 200)}`);
        } catch (error) {
          status = 'threw';
          problems.push(`threw ${String(error)} for ${text.slice(0, 200)}`);
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      await pipeline.settled();
      const started = (await pipeline.engine.listExecutions({})).executions;

      // Assess
      reportReliability('hostile-input-post-events', {
        threw: { 'hostile POST /events bodies': 400 },
        held: {
          ...Object.fromEntries(Object.entries(statuses).map(([s, n]) => [`answered ${s}`, n])),
          'executions started': started.length,
          'unclear answers': problems.length,
        },
      });
      expect(problems).toEqual([]);
      expect(started).toEqual([]);
      expect(Object.keys(statuses).some((s) => s.startsWith('4'))).toBe(true);
    } finally {
      await pipeline.close({ abandon: true });
    }
  });

  describe('the approval pages (real DynamoDB store on dynalite)', () => {
    let dynamo: LocalDynamo;

    beforeAll(async () => {
      dynamo = await startDynalite();
      await createPipelineTable(dynamo.client, 'pipeline-hostile');
    });

    afterAll(async () => {
      await dynamo.close();
    });

    it('when hostile ids, queries, bodies, headers and methods arrive, every answer is a 4xx page that says why and nothing changes', async () => {
      // Prepare
      const clock = new ManualClock(START);
      const store = new DynamoApprovalStore({ tableName: 'pipeline-hostile', client: dynamo.client, clock });
      const executions = new RecordingExecutionControl();
      const records = new InMemoryDeploymentRecords();
      const page = createApprovalPage({
        store,
        executions,
        records,
        clock,
        keys: new StaticSigningKeySource(KEY),
        baseUrl: BASE_URL,
      });
      const { approvalId, expiresAt } = await requestApproval(approvalRequest(), {
        store,
        notifier: new RecordingNotifier(),
        clock,
      });
      const before = await store.get(approvalId);
      const valid = {
        approvalId,
        approver: ALICE,
        action: 'approve' as const,
        expires: linkExpiry(expiresAt),
      };
      const id = fc.oneof(
        fc.constant(approvalId),
        hostileString,
        fc.constantFrom('..', '%2e%2e', 'a/b', `${approvalId}/`, 'A'.repeat(3000), `${approvalId}\u0000`),
      );
      const query = fc.oneof(
        hostileString,
        fc.constant(linkQuery(valid)),
        hostileString.map((s) => `${linkQuery(valid)}&${new URLSearchParams({ sig: s }).toString()}`),
        hostileString.map((s) => linkQuery({ ...valid, approver: s })),
        fc.constantFrom('approver=&action=&expires=&sig=', 'expires=1e999', 'expires=-1', '%', '&&&==='),
      );
      const headers = fc.dictionary(
        fc.oneof(
          fc.constantFrom('content-type', 'origin', 'sec-fetch-site', 'user-agent', 'Content-Type'),
          fc.string(),
        ),
        hostileString,
        { maxKeys: 5 },
      );
      const request = fc.record({
        method: fc.oneof(
          { arbitrary: fc.constantFrom('GET', 'HEAD', 'POST'), weight: 8 },
          { arbitrary: fc.constantFrom('PUT', 'DELETE', 'OPTIONS', 'get', ''), weight: 1 },
          { arbitrary: hostileString, weight: 1 },
        ),
        id,
        query,
        body: fc.option(fc.oneof(hostileString, fc.constant('formToken=x&comment=y')), { nil: undefined }),
        base64: fc.boolean(),
        headers,
        broken: fc.constantFrom(
          'none',
          'none',
          'none',
          'no-path-parameters',
          'no-request-context',
          'null-headers',
        ),
      });
      const statuses: Record<string, number> = {};
      const problems: string[] = [];
      let cases = 0;

      // Act
      for (const r of fc.sample(request, { numRuns: 1_500, seed: SEED })) {
        cases++;
        const event = pageEvent({
          method: r.method,
          approvalId: r.id,
          query: r.query,
          ...(r.body !== undefined && { body: r.body }),
          base64: r.base64,
          headers: r.headers,
        }) as unknown as Record<string, unknown>;
        if (r.broken === 'no-path-parameters') delete event.pathParameters;
        if (r.broken === 'no-request-context') delete event.requestContext;
        if (r.broken === 'null-headers') event.headers = null;
        let response: PageResponse | undefined;
        try {
          response = await page(event as unknown as APIGatewayProxyEventV2);
        } catch (error) {
          problems.push(`threw ${String(error)}`);
          continue;
        }
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        const method = (event.requestContext as { http?: { method?: string } } | undefined)?.http?.method;
        if (response.statusCode >= 500)
          problems.push(`${response.statusCode} for ${JSON.stringify(r).slice(0, 300)}`);
        if (method !== 'HEAD' && !/<h1>[^<]{3,}<\/h1>/.test(response.body))
          problems.push(`no heading saying why for ${JSON.stringify(r).slice(0, 300)}`);
      }
      const after = await store.get(approvalId);

      // Assess
      reportReliability('hostile-input-approval-pages', {
        threw: { 'hostile approval page requests': cases },
        held: {
          ...Object.fromEntries(Object.entries(statuses).map(([s, n]) => [`answered ${s}`, n])),
          'decisions recorded': (after?.decisions.length ?? 0) - (before?.decisions.length ?? 0),
          'task tokens answered': executions.deliveries.length,
          'unclear answers': problems.length,
        },
      });
      expect(problems).toEqual([]);
      expect(after?.status).toBe('pending');
      expect(after?.decisions).toEqual([]);
      expect(executions.deliveries).toEqual([]);
      expect(await records.history('orders-api')).toEqual([]);
      expect(Object.keys(statuses).length).toBeGreaterThan(3);
    });
  });

  it('when the config file is damaged or hostile, loading fails with a ConfigError naming the file and what is wrong', () => {
    // Prepare
    const text = readFileSync(CONFIG_FILE, 'utf8');
    const lines = text.split('\n');
    const damaged = fc.oneof(
      // One line replaced, removed, duplicated or re-indented.
      fc
        .record({
          at: fc.nat({ max: lines.length - 1 }),
          with: hostileString,
          how: fc.constantFrom('replace', 'drop', 'dup', 'indent', 'value'),
        })
        .map(({ at, with: value, how }) => {
          const copy = [...lines];
          const line = copy[at]!;
          if (how === 'replace') copy[at] = value;
          if (how === 'drop') copy.splice(at, 1);
          if (how === 'dup') copy.splice(at, 0, line);
          if (how === 'indent') copy[at] = ` ${line}`;
          if (how === 'value') copy[at] = line.replace(/:\s.*$/, `: ${JSON.stringify(value)}`);
          return copy.join('\n');
        }),
      hostileString,
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom(
        '',
        '---\n---\n',
        '!!js/function "function(){}"',
        'a: &a [*a]',
        // Billion laughs: aliases that expand exponentially.
        [
          'a: &a [x, x, x, x, x, x, x, x, x]',
          ...'bcdefgh'
            .split('')
            .map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
        ].join('\n'),
        '__proto__: { polluted: true }\n',
        text.replace(/\n/g, '\r\n'),
        `${text}\n${text}`,
      ),
    );
    let cases = 0;
    let accepted = 0;
    const problems: string[] = [];

    // Act
    for (const candidate of fc.sample(damaged, { numRuns: 1_000, seed: SEED })) {
      cases++;
      try {
        parseConfig(candidate, 'pipeline.config.yml');
        accepted++; // a harmless change (a comment line, a value still valid): loading it is right
      } catch (error) {
        if (!(error instanceof ConfigError))
          problems.push(
            `${error instanceof Error ? error.name : typeof error}: ${String(error).slice(0, 200)}`,
          );
        else if (!error.message.startsWith('pipeline.config.yml') || error.message.split('\n').length < 2)
          problems.push(`unclear: ${error.message.slice(0, 200)}`);
      }
    }

    // Assess
    reportReliability('hostile-input-config-loader', {
      threw: { 'damaged or hostile config texts': cases },
      held: {
        'refused with a ConfigError naming file and problem': cases - accepted - problems.length,
        'still valid, loaded': accepted,
        'other errors or unclear messages': problems.length,
        'prototype polluted': ({} as Record<string, unknown>).polluted === undefined ? 0 : 1,
      },
    });
    expect(problems).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(cases - accepted).toBeGreaterThan(cases / 2);
  });
});
